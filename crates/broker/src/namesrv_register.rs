//! Registration with every name server every `registerNameServerPeriod`, at once on topic changes, and
//! unregistration on shutdown. OWNER: broker-core helper.

#[derive(Default)]
pub struct Registrar {}
