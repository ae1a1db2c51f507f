//! Ferrocket client SDK (work in progress).
