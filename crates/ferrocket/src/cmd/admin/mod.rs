//! `ferrocket admin <command>`: Apache's `mqadmin`, same command names, same per-command flags, same output
//! columns (broker-config.md §4), plus `--json` for scripts and `resendDlq`.
//!
//! Each command lives with its kind (topics, cluster/broker, groups and offsets, messages) and takes its own
//! argument struct, because one letter means different things in different commands (`-c` is a cluster for
//! `updateTopic` but tags for `sendMessage`; `-b` a broker address, a broker name or a begin time).

pub(crate) mod args;
mod cluster;
mod consumer_status;
mod context;
mod group;
mod message;
mod print_msg;
mod pull;
mod raw;
mod send;
mod timefmt;
mod topic;

use std::time::Duration;

use clap::{Args, Subcommand};

pub use context::Ctx;

/// `ferrocket admin [-n NAMESRV] [--json] <command> [flags]`.
#[derive(Args, Debug)]
#[command(arg_required_else_help = true)]
pub struct AdminArgs {
    /// Name server address list, `host:port[;host:port...]`; default: the NAMESRV_ADDR environment variable.
    #[arg(short = 'n', long = "namesrvAddr", global = true)]
    pub namesrv: Option<String>,
    /// Print JSON instead of Apache's columns.
    #[arg(long, global = true)]
    pub json: bool,
    /// Timeout of each request to a server, in milliseconds.
    #[arg(long = "timeout-ms", global = true, default_value_t = 3000)]
    pub timeout_ms: u64,
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// The commands, named as in Apache's mqadmin.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create or update a topic on a broker or on every master of a cluster.
    #[command(name = "updateTopic")]
    UpdateTopic(topic::UpdateTopicArgs),
    /// Delete a topic from a cluster's brokers and from the name servers.
    #[command(name = "deleteTopic")]
    DeleteTopic(topic::DeleteTopicArgs),
    /// List every topic the name servers know.
    #[command(name = "topicList")]
    TopicList(topic::TopicListArgs),
    /// Show a topic's route.
    #[command(name = "topicRoute")]
    TopicRoute(topic::TopicRouteArgs),
    /// Show a topic's queues: min and max offsets, last update.
    #[command(name = "topicStatus")]
    TopicStatus(topic::TopicStatusArgs),
    /// List clusters and their brokers with load figures.
    #[command(name = "clusterList")]
    ClusterList(cluster::ClusterListArgs),
    /// Show a broker's runtime figures.
    #[command(name = "brokerStatus")]
    BrokerStatus(cluster::BrokerStatusArgs),
    /// Change a broker setting at run time.
    #[command(name = "updateBrokerConfig")]
    UpdateBrokerConfig(cluster::UpdateBrokerConfigArgs),
    /// Print a broker's settings.
    #[command(name = "getBrokerConfig")]
    GetBrokerConfig(cluster::GetBrokerConfigArgs),
    /// Create or update a consumer group (subscription group).
    #[command(name = "updateSubGroup")]
    UpdateSubGroup(group::UpdateSubGroupArgs),
    /// Delete a consumer group.
    #[command(name = "deleteSubGroup")]
    DeleteSubGroup(group::DeleteSubGroupArgs),
    /// A group's progress: per queue broker offset, consumer offset and lag; or every group's summary.
    #[command(name = "consumerProgress")]
    ConsumerProgress(group::ConsumerProgressArgs),
    /// The clients connected in a consumer group and their subscriptions.
    #[command(name = "consumerConnection")]
    ConsumerConnection(group::ConsumerConnectionArgs),
    /// Each connected consumer's own report (queues, offsets, rates), relayed by the broker.
    #[command(name = "consumerStatus")]
    ConsumerStatus(consumer_status::ConsumerStatusArgs),
    /// Move a group's offsets on a topic to a point in time.
    #[command(name = "resetOffsetByTime")]
    ResetOffsetByTime(group::ResetOffsetByTimeArgs),
    /// Look a message up by id (offsetMsgId or the producer's msgId).
    #[command(name = "queryMsgById")]
    QueryMsgById(message::QueryMsgByIdArgs),
    /// Look messages up by key.
    #[command(name = "queryMsgByKey")]
    QueryMsgByKey(message::QueryMsgByKeyArgs),
    /// Read the message at a queue offset.
    #[command(name = "queryMsgByOffset")]
    QueryMsgByOffset(message::QueryMsgByOffsetArgs),
    /// Send one message.
    #[command(name = "sendMessage")]
    SendMessage(send::SendMessageArgs),
    /// Read messages with a pull consumer and print them.
    #[command(name = "consumeMessage")]
    ConsumeMessage(pull::ConsumeMessageArgs),
    /// Print every message of a topic (optionally in a time range).
    #[command(name = "printMsg")]
    PrintMsg(pull::PrintMsgArgs),
    /// Re-send a message of a group's dead-letter queue to its original topic.
    #[command(name = "resendDlq")]
    ResendDlq(send::ResendDlqArgs),
}

/// Output piped into `head` and the like must end the process quietly, as it would for any Unix tool, instead of
/// failing the next print.
pub fn restore_sigpipe() {
    // SAFETY: setting a signal disposition to its default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

pub fn run(args: AdminArgs) -> anyhow::Result<()> {
    restore_sigpipe();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = rt.block_on(async move {
        let ctx = Ctx::connect(
            args.namesrv.as_deref(),
            args.json,
            Duration::from_millis(args.timeout_ms),
        )
        .await?;
        dispatch(&ctx, args.command).await
    });
    // Background client tasks (route refresh, heartbeats) must not hold the process open.
    rt.shutdown_timeout(Duration::from_millis(200));
    result
}

async fn dispatch(ctx: &Ctx, command: AdminCommand) -> anyhow::Result<()> {
    use AdminCommand as C;
    match command {
        C::UpdateTopic(a) => topic::update_topic(ctx, a).await,
        C::DeleteTopic(a) => topic::delete_topic(ctx, a).await,
        C::TopicList(a) => topic::topic_list(ctx, a).await,
        C::TopicRoute(a) => topic::topic_route(ctx, a).await,
        C::TopicStatus(a) => topic::topic_status(ctx, a).await,
        C::ClusterList(a) => cluster::cluster_list(ctx, a).await,
        C::BrokerStatus(a) => cluster::broker_status(ctx, a).await,
        C::UpdateBrokerConfig(a) => cluster::update_broker_config(ctx, a).await,
        C::GetBrokerConfig(a) => cluster::get_broker_config(ctx, a).await,
        C::UpdateSubGroup(a) => group::update_sub_group(ctx, a).await,
        C::DeleteSubGroup(a) => group::delete_sub_group(ctx, a).await,
        C::ConsumerProgress(a) => group::consumer_progress(ctx, a).await,
        C::ConsumerConnection(a) => group::consumer_connection(ctx, a).await,
        C::ConsumerStatus(a) => consumer_status::consumer_status(ctx, a).await,
        C::ResetOffsetByTime(a) => group::reset_offset_by_time(ctx, a).await,
        C::QueryMsgById(a) => message::query_msg_by_id(ctx, a).await,
        C::QueryMsgByKey(a) => message::query_msg_by_key(ctx, a).await,
        C::QueryMsgByOffset(a) => message::query_msg_by_offset(ctx, a).await,
        C::SendMessage(a) => send::send_message(ctx, a).await,
        C::ConsumeMessage(a) => pull::consume_message(ctx, a).await,
        C::PrintMsg(a) => pull::print_msg(ctx, a).await,
        C::ResendDlq(a) => send::resend_dlq(ctx, a).await,
    }
}
