//! The threads CPU work runs on: rendering is CPU work, so more at once than there are cores
//! only adds memory (each render holds a few MiB while it runs). Work someone waits for (a
//! download) runs on one thread per core at the requests' priority; background work (the
//! renderer, composing emails) on one thread of its own that runs only when a core is free
//! (`SCHED_IDLE`).

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

/// `threads` threads taking jobs from one queue; `background` ones run when a core is free.
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

/// Background work yields the CPU to requests. Under `SCHED_IDLE` this thread runs only on a
/// core nothing else wants, and a request's thread that wakes up takes the core from it at
/// once. A nice value (10, as before) did not: as we read the kernel's scheduler (EEVDF), the
/// running thread may finish its time slice first, whatever its nice value, so a step of a
/// sequential flow could wait behind a slice of rendering (measured side by side: +14 to +20 %
/// with background work running against paused, +3 to +12 % under `SCHED_IDLE`; see
/// BENCHMARKS.md). A request that needs a document whose render waits in this thread's queue
/// takes it over (see immovr-app's `Documents`); one whose render this thread has started waits
/// for it, as long as the cores stay busy. Where `SCHED_IDLE` is refused, the thread is niced
/// by 10.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread; a failure only leaves the priority.
        unsafe {
            let param = libc::sched_param { sched_priority: 0 };
            if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0 {
                return;
            }
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

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn background_work_runs_only_when_a_core_is_free() {
        let threads = Threads::start();
        // SAFETY: reads the calling thread's scheduling policy.
        let policy = || unsafe { libc::sched_getscheduler(0) };
        let background = immovr_app::ports::run_on(&threads, Lane::Background, policy).await.unwrap();
        assert_eq!(background, libc::SCHED_IDLE);
        let now = immovr_app::ports::run_on(&threads, Lane::Now, policy).await.unwrap();
        assert_eq!(now, libc::SCHED_OTHER, "work someone waits for keeps the requests' priority");
    }
}
