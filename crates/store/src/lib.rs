//! Message store: commit log, consume queues, index, flush, recovery, retention. No networking.
