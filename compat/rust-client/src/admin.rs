//! Read-only admin commands (routes, cluster, topic list) through the client's DefaultMQAdminExt, and topic
//! creation through its producer API (UPDATE_AND_CREATE_TOPIC to every master that serves the key topic).

use std::collections::HashMap;
use std::sync::Arc;

use rocketmq_client_rust::{ClientRuntime, DefaultMQAdminExt, DefaultMQProducer, RouteAdmin, TopicAdmin};

use crate::args::Args;

pub async fn run(rt: Arc<ClientRuntime>, cmd: &str, a: &Args) -> Result<(), String> {
    let namesrv = a.pos(1, "name server address")?;
    let mut admin = DefaultMQAdminExt::new(rt);
    admin.set_namesrv_addr(namesrv.as_str());
    admin.start().await.map_err(|e| format!("admin start: {e}"))?;
    let result = query(&mut admin, cmd, a).await;
    admin.shutdown().await;
    result
}

async fn query(admin: &mut DefaultMQAdminExt, cmd: &str, a: &Args) -> Result<(), String> {
    match cmd {
        "route" => {
            let topic = a.pos(2, "topic")?;
            let route = admin
                .examine_topic_route_info(topic.into())
                .await
                .map_err(|e| format!("route: {e}"))?
                .ok_or("route: none")?;
            for qd in &route.queue_datas {
                println!(
                    "queue broker={} read={} write={} perm={}",
                    qd.broker_name, qd.read_queue_nums, qd.write_queue_nums, qd.perm
                );
            }
            for bd in &route.broker_datas {
                let mut addrs: Vec<_> = bd.broker_addrs().iter().map(|(k, v)| format!("{k}={v}")).collect();
                addrs.sort();
                println!("broker name={} cluster={} addrs={}", bd.broker_name(), bd.cluster(), addrs.join(","));
            }
        }
        "cluster" => {
            let info = admin.examine_broker_cluster_info().await.map_err(|e| format!("cluster: {e}"))?;
            println!("{info:?}");
        }
        "topics" => {
            let list = admin.fetch_all_topic_list().await.map_err(|e| format!("topics: {e}"))?;
            let mut topics: Vec<String> = list.topic_list.iter().map(|t| t.to_string()).collect();
            topics.sort();
            for t in topics {
                println!("topic {t}");
            }
        }
        other => return Err(format!("unknown command {other:?}")),
    }
    Ok(())
}

/// `create-topic <namesrv> <topic> <queues>`: prints `created topic=T queues=N`.
pub async fn create_topic(rt: Arc<ClientRuntime>, a: &Args) -> Result<(), String> {
    let namesrv = a.pos(1, "name server address")?;
    let topic = a.pos(2, "topic")?;
    let queues: i32 = a.pos(3, "queue count")?.parse().map_err(|_| "queue count: not a number")?;
    let mut producer = DefaultMQProducer::builder(rt)
        .producer_group(format!("compat_admin_{}", std::process::id()))
        .name_server_addr(namesrv)
        .build();
    producer.start().await.map_err(|e| format!("producer start: {e}"))?;
    let result = producer.create_topic("TBW102", &topic, queues, HashMap::new()).await;
    producer.shutdown().await;
    result.map_err(|e| format!("create topic: {e}"))?;
    println!("created topic={topic} queues={queues}");
    Ok(())
}
