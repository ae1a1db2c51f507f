//! Topic routes and the broker address table.

use std::sync::Arc;

use ferrocket_protocol::body::{QueueData, TopicRouteData, MASTER_ID};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::header::GetRouteInfoRequestHeader;

use super::ClientInstance;
use crate::error::{ClientError, Result};
use crate::route::TopicRoute;

impl ClientInstance {
    /// The cached route of `topic`.
    pub(crate) fn route(&self, topic: &str) -> Option<Arc<TopicRoute>> {
        self.routes.read().get(topic).cloned()
    }

    /// Topics with a cached route.
    pub(crate) fn routed_topics(&self) -> Vec<String> {
        self.routes.read().keys().cloned().collect()
    }

    /// Asks a name server for `topic`'s route (GET_ROUTEINFO_BY_TOPIC). `Ok(None)` when no server knows it.
    pub(crate) async fn fetch_route(&self, topic: &str) -> Result<Option<TopicRouteData>> {
        let header = GetRouteInfoRequestHeader {
            topic: topic.to_owned(),
            accept_standard_json_only: None,
        };
        let req = self.request_with(request_code::GET_ROUTEINFO_BY_TOPIC, &header);
        let (addr, resp) = self.invoke_namesrv(req, self.config.api_timeout).await?;
        match resp.code {
            response_code::SUCCESS => {
                let data = TopicRouteData::decode(&resp.body).map_err(|e| {
                    ClientError::bad_response(&addr, format!("route of {topic}: {e}"))
                })?;
                Ok(Some(data))
            }
            response_code::TOPIC_NOT_EXIST => Ok(None),
            code => Err(ClientError::broker(&addr, code, resp.remark)),
        }
    }

    /// Refreshes `topic`'s route from the name servers and returns it. The cached entry (with its round-robin
    /// position) is kept when nothing changed.
    pub(crate) async fn update_route(&self, topic: &str) -> Result<Arc<TopicRoute>> {
        let Some(data) = self.fetch_route(topic).await? else {
            return Err(ClientError::NoRoute(topic.to_owned()));
        };
        Ok(self.store_route(topic, data))
    }

    /// The cached route, fetched first if there is none.
    pub(crate) async fn route_or_fetch(&self, topic: &str) -> Result<Arc<TopicRoute>> {
        match self.route(topic) {
            Some(r) => Ok(r),
            None => self.update_route(topic).await,
        }
    }

    fn store_route(&self, topic: &str, data: TopicRouteData) -> Arc<TopicRoute> {
        if let Some(old) = self.route(topic) {
            if old.data == data {
                return old;
            }
        }
        {
            let mut brokers = self.brokers.write();
            for b in &data.broker_datas {
                brokers.insert(b.broker_name.clone(), b.broker_addrs.clone());
            }
        }
        let route = Arc::new(TopicRoute::new(topic, data));
        self.routes.write().insert(topic.to_owned(), route.clone());
        route
    }

    /// A route for sending to `topic` that the name servers do not know yet: the route of the auto-create template
    /// topic `create_key` (TBW102), its queue counts capped at `default_queue_nums`, under `topic`'s name. Brokers
    /// create the topic on the first send that names the template. Not cached.
    pub(crate) async fn template_route(
        &self,
        topic: &str,
        create_key: &str,
        default_queue_nums: i32,
    ) -> Result<Arc<TopicRoute>> {
        let Some(mut data) = self.fetch_route(create_key).await? else {
            return Err(ClientError::NoRoute(topic.to_owned()));
        };
        for qd in &mut data.queue_datas {
            *qd = QueueData {
                read_queue_nums: qd.read_queue_nums.min(default_queue_nums),
                write_queue_nums: qd.write_queue_nums.min(default_queue_nums),
                ..qd.clone()
            };
        }
        {
            let mut brokers = self.brokers.write();
            for b in &data.broker_datas {
                brokers.insert(b.broker_name.clone(), b.broker_addrs.clone());
            }
        }
        Ok(Arc::new(TopicRoute::new(topic, data)))
    }

    /// The master address of `broker_name`.
    pub(crate) fn master_addr(&self, broker_name: &str) -> Option<String> {
        self.brokers
            .read()
            .get(broker_name)
            .and_then(|addrs| addrs.get(&MASTER_ID).cloned())
    }

    /// The master address of `broker_name`, refreshing `topic`'s route once if it is unknown.
    pub(crate) async fn master_addr_or_refresh(
        &self,
        broker_name: &str,
        topic: &str,
    ) -> Result<String> {
        if let Some(a) = self.master_addr(broker_name) {
            return Ok(a);
        }
        self.update_route(topic).await?;
        self.master_addr(broker_name)
            .ok_or_else(|| ClientError::BrokerNotFound(broker_name.to_owned()))
    }

    /// Where to pull `broker_name`'s queues from: the broker id the broker suggested if it is known, else the
    /// master, else any member. Returns (address, is_slave).
    pub(crate) fn pull_addr(&self, broker_name: &str, suggested_id: i64) -> Option<(String, bool)> {
        let brokers = self.brokers.read();
        let addrs = brokers.get(broker_name)?;
        addrs
            .get_key_value(&suggested_id)
            .or_else(|| addrs.get_key_value(&MASTER_ID))
            .or_else(|| addrs.iter().next())
            .map(|(id, a)| (a.clone(), *id != MASTER_ID))
    }

    /// Every known broker member: (brokerName, brokerId, address).
    pub(crate) fn all_broker_addrs(&self) -> Vec<(String, i64, String)> {
        let brokers = self.brokers.read();
        let mut out: Vec<_> = brokers
            .iter()
            .flat_map(|(name, addrs)| {
                addrs
                    .iter()
                    .map(move |(id, a)| (name.clone(), *id, a.clone()))
            })
            .collect();
        out.sort();
        out
    }
}
