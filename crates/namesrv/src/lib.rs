//! The name server: a stateless route registry.
