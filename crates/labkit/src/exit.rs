//! How a lab binary ends, and the exercise notes of the student release:
//! the one definition of an exercise id (`<crate>.<name>`) and of the
//! `todo!("<id>: <task>")` message, which the grader writes and the binaries
//! read back.

use crate::threads::sleeping_workers;

/// Ends a lab binary: prints an error and its causes (no backtrace) and turns
/// it into a non-zero exit code. [`main`] calls it.
pub fn finish(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs a lab binary's `run` with [`exercise_hook`] installed and ends it
/// with [`finish`]: `fn main() -> ExitCode { labkit::main(|| run(Args::parse())) }`.
/// First it makes idle worker threads sleep ([`sleeping_workers`]).
pub fn main(run: impl FnOnce() -> anyhow::Result<()>) -> std::process::ExitCode {
    sleeping_workers();
    exercise_hook();
    finish(run())
}

/// Whether `id` is an exercise id: `<crate>.<name>`, each a non-empty word of
/// ASCII letters, digits and `_`.
pub fn valid_id(id: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    matches!(id.split_once('.'), Some((k, n)) if word(k) && word(n))
}

/// The message of the `todo!` that stands in for exercise `id` in the
/// student release: `<id>: <task>` (before `todo!`'s own brace escaping).
pub fn todo_message(id: &str, task: &str) -> String {
    format!("{id}: {task}")
}

/// What `todo!("<id>: <task>")` leaves in a panic message, if the panic came
/// from an exercise of the student release: the assignment id and its task.
pub fn unfinished_exercise(panic_message: &str) -> Option<(&str, &str)> {
    let rest = panic_message.strip_prefix("not yet implemented: ")?;
    let (id, task) = rest.split_once(": ")?;
    valid_id(id).then_some((id, task.trim()))
}

/// Installs a panic hook that turns an unfinished exercise of the student
/// release (a `todo!` from `./dl student`) into a short message naming the
/// exercise and where to write it, and exits with code 3; any other panic
/// is reported as before.
pub fn exercise_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        match message.and_then(unfinished_exercise) {
            Some((id, task)) => {
                let krate = id.split('.').next().unwrap_or(id);
                let place = info
                    .location()
                    .map(|l| format!(" in {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                eprintln!(
                    "\nexercise {id} is not done yet{place}.\n  task: {task}\n  \
                     Write it there, then check it with `cargo test -p {krate}`."
                );
                std::process::exit(3);
            }
            None => previous(info),
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_exercises_are_recognised_from_the_todo_message() {
        assert_eq!(
            unfinished_exercise("not yet implemented: pt_deep.forward: the scores: a, b"),
            Some(("pt_deep.forward", "the scores: a, b"))
        );
        assert_eq!(unfinished_exercise("not yet implemented"), None);
        assert_eq!(unfinished_exercise("not yet implemented: later"), None);
        assert_eq!(
            unfinished_exercise("index out of bounds: the len is 3"),
            None
        );
        assert_eq!(unfinished_exercise("not yet implemented: a b.c: x"), None);
    }

    #[test]
    fn the_todo_message_reads_back_and_ids_have_one_grammar() {
        let m = format!(
            "not yet implemented: {}",
            todo_message("pt_deep.forward", "the scores")
        );
        assert_eq!(
            unfinished_exercise(&m),
            Some(("pt_deep.forward", "the scores"))
        );
        assert!(valid_id("pt_deep.count_params"));
        for bad in [
            "pt_deep",
            "pt-deep.forward",
            ".forward",
            "a.",
            "a.b.c",
            "a b.c",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
