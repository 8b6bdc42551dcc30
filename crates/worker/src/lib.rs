//! Background work, beside the routes (not inside them): the email worker sends what the outbox
//! holds and queues reminders, the renderer renders issued documents as soon as they commit; and
//! the threads CPU work runs on. The binary starts them; tests drive them alone.

pub mod mailer;
pub mod platform;
pub mod renderer;
pub mod sealer;
pub mod threads;

pub use mailer::Mailer;
pub use platform::Transmitter;
pub use threads::Threads;
