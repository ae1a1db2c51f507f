//! Starting and stopping a broker. OWNER: broker-core helper.

pub struct BrokerServer {}
