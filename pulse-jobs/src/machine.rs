//! The job state machine.
//!
//! ```text
//!   (new) → PENDING → ACTIVE → FINISHED
//!                     ACTIVE → PAUSED → PENDING        (pause at a page boundary; resume)
//!                     ACTIVE → FAILED → PENDING        (error; retry, automatic or manual)
//!           PENDING → PAUSED                           (pausing a job that has not started)
//!           ACTIVE  → PENDING                          (its worker stopped or its lease expired)
//!   PENDING | ACTIVE | PAUSED | FAILED → CANCELLED     (an admin's cancel)
//! ```
//!
//! FINISHED and CANCELLED are final. Everything else is an [`Error::IllegalTransition`].

use pulse_core::model::JobState::{self, *};

use crate::error::{Error, Result};

/// Every legal (from, to) pair.
pub const LEGAL: &[(JobState, JobState)] = &[
    (Pending, Active),
    (Pending, Paused),
    (Pending, Cancelled),
    (Active, Finished),
    (Active, Paused),
    (Active, Failed),
    (Active, Pending),
    (Active, Cancelled),
    (Paused, Pending),
    (Paused, Cancelled),
    (Failed, Pending),
    (Failed, Cancelled),
];

/// Checks one move.
pub fn check(from: JobState, to: JobState) -> Result<()> {
    if LEGAL.contains(&(from, to)) { Ok(()) } else { Err(Error::IllegalTransition { from, to }) }
}

/// The moves the system makes, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Claim,
    Finish,
    Pause,
    Resume,
    Fail,
    Retry,
    Cancel,
    Release,
}

impl Transition {
    /// The state this move leads to.
    pub fn target(self) -> JobState {
        match self {
            Transition::Claim => Active,
            Transition::Finish => Finished,
            Transition::Pause => Paused,
            Transition::Resume | Transition::Retry | Transition::Release => Pending,
            Transition::Fail => Failed,
            Transition::Cancel => Cancelled,
        }
    }

    /// The target if the move is legal from `from`.
    pub fn from(self, from: JobState) -> Result<JobState> {
        let to = self.target();
        check(from, to)?;
        // Resume is only from PAUSED, retry only from FAILED: same target, other sources.
        match (self, from) {
            (Transition::Resume, Paused) | (Transition::Retry, Failed) => Ok(to),
            (Transition::Resume | Transition::Retry, _) => Err(Error::IllegalTransition { from, to }),
            (Transition::Release, Active) => Ok(to),
            (Transition::Release, _) => Err(Error::IllegalTransition { from, to }),
            _ => Ok(to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_is_legal_or_an_error() {
        let all = JobState::ALL;
        let mut legal = 0;
        for &from in all {
            for &to in all {
                let expected = LEGAL.contains(&(from, to));
                match check(from, to) {
                    Ok(()) => {
                        assert!(expected, "{from} → {to} accepted");
                        legal += 1;
                    }
                    Err(Error::IllegalTransition { from: f, to: t }) => {
                        assert!(!expected, "{from} → {to} refused");
                        assert_eq!((f, t), (from, to));
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        }
        assert_eq!(legal, LEGAL.len());
        assert_eq!(all.len() * all.len() - legal, 36 - 12, "24 illegal pairs");
    }

    #[test]
    fn final_states_are_final() {
        for &to in JobState::ALL {
            assert!(check(Finished, to).is_err());
            assert!(check(Cancelled, to).is_err());
        }
    }

    #[test]
    fn named_moves() {
        assert_eq!(Transition::Claim.from(Pending).unwrap(), Active);
        assert_eq!(Transition::Pause.from(Active).unwrap(), Paused);
        assert_eq!(Transition::Pause.from(Pending).unwrap(), Paused);
        assert_eq!(Transition::Resume.from(Paused).unwrap(), Pending);
        assert!(Transition::Resume.from(Failed).is_err(), "resume is not retry");
        assert_eq!(Transition::Retry.from(Failed).unwrap(), Pending);
        assert!(Transition::Retry.from(Paused).is_err());
        assert!(Transition::Retry.from(Finished).is_err());
        assert_eq!(Transition::Cancel.from(Failed).unwrap(), Cancelled);
        assert!(Transition::Cancel.from(Finished).is_err());
        assert!(Transition::Cancel.from(Cancelled).is_err());
        assert_eq!(Transition::Release.from(Active).unwrap(), Pending);
        assert!(Transition::Release.from(Paused).is_err());
        assert!(Transition::Finish.from(Pending).is_err());
        assert!(Transition::Fail.from(Paused).is_err());
    }
}
