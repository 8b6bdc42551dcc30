//! The threads CPU work runs on: rendering is CPU work, so more at once than there are cores
//! only adds memory (each render holds a few MiB while it runs). Work someone waits for (a
//! download) runs on one thread per core at the requests' priority; background work (the
//! renderer, composing emails) on one thread of its own, niced below the requests.

use std::sync::{Arc, Mutex};

use immovr_app::ports::{Executor, Job, Lane};

pub struct Threads {
    now: std::sync::mpsc::Sender<Job>,
    background: std::sync::mpsc::Sender<Job>,
}

impl Threads {
    pub fn start() -> Threads {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Threads { now: start("immovr-render", cores, false), background: start("immovr-render-bg", 1, true) }
    }
}

impl Default for Threads {
    fn default() -> Self {
        Threads::start()
    }
}

impl Executor for Threads {
    fn spawn(&self, lane: Lane, job: Job) -> Result<(), String> {
        let queue = match lane {
            Lane::Now => &self.now,
            Lane::Background => &self.background,
        };
        queue.send(job).map_err(|_| "the CPU threads have stopped".to_string())
    }
}

/// `threads` threads taking jobs from one queue; `background` ones are niced.
fn start(name: &str, threads: usize, background: bool) -> std::sync::mpsc::Sender<Job> {
    let (jobs, rx) = std::sync::mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..threads.max(1) {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new().name(format!("{name}-{i}")).spawn(move || {
            if background {
                lower_priority();
            }
            loop {
                let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                match job {
                    // A panic loses that job only (its caller gets an error), not the thread:
                    // the background one also composes every email.
                    Ok(job) => {
                        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                            tracing::error!("a job on a CPU thread panicked");
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "starting a CPU thread");
        }
    }
    jobs
}

/// Background work yields the CPU to requests: this thread's nice value goes up by 10.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread; a failure only leaves the priority.
        unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            if libc::setpriority(libc::PRIO_PROCESS, tid, 10) != 0 {
                tracing::debug!("could not lower the render thread's priority");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_that_panics_loses_itself_not_its_thread() {
        let threads = Threads::start();
        let lost = immovr_app::ports::run_on(&threads, Lane::Background, || -> u32 { panic!("boom") }).await;
        assert!(lost.is_err());
        let after = immovr_app::ports::run_on(&threads, Lane::Background, || 42).await.unwrap();
        assert_eq!(after, 42);
        assert_eq!(immovr_app::ports::run_on(&threads, Lane::Now, || 7).await.unwrap(), 7);
    }
}
