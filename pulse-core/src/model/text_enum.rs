//! Enums stored and exchanged as text.

/// Gives an enum `as_str` and a `parse` that names what was expected on failure.
macro_rules! text_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }

            /// Parses the text form; the error lists the accepted values.
            pub fn parse(text: &str) -> $crate::error::Result<Self> {
                match text {
                    $($text => Ok($ty::$variant),)+
                    other => Err($crate::error::Error::invalid(
                        $what,
                        format!("{other:?} is not one of {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                Self::parse(s)
            }
        }
    };
}

pub(crate) use text_enum;
