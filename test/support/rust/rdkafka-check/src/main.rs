//! A check program on the Rust `rdkafka` crate (its bundled, current librdkafka), driven by
//! test/broker/rust-rdkafka.test.ts: admin calls, an idempotent acks=all producer with a codec, and a
//! consumer group that commits and resumes. Prints one JSON object per line; exits non-zero on error.

use std::time::{Duration, Instant};

use futures_executor::block_on;
use rdkafka::admin::{AdminClient, AdminOptions, AlterConfig, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, TopicPartitionList, Offset};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A JSON string literal (the tests use plain ASCII; quotes and backslashes are escaped).
fn js(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn admin_client(bootstrap: &str) -> AdminClient<DefaultClientContext> {
    ClientConfig::new().set("bootstrap.servers", bootstrap).create().expect("admin client")
}

fn opts() -> AdminOptions {
    AdminOptions::new().operation_timeout(Some(TIMEOUT)).request_timeout(Some(TIMEOUT))
}

fn create_topic(admin: &AdminClient<DefaultClientContext>, topic: &str, partitions: i32, configs: &[(&str, &str)]) {
    let mut t = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        t = t.set(k, v);
    }
    for r in block_on(admin.create_topics(&[t], &opts())).expect("create_topics") {
        if let Err((name, code)) = r {
            panic!("create topic {name}: {code:?}");
        }
    }
}

fn admin(bootstrap: &str, topic: &str) {
    let admin = admin_client(bootstrap);
    create_topic(&admin, topic, 3, &[("retention.ms", "3600000")]);
    println!("{{\"step\":\"createTopic\",\"topic\":{}}}", js(topic));
    let md = admin.inner().fetch_metadata(Some(topic), TIMEOUT).expect("metadata");
    let partitions = md.topics().first().map(|t| t.partitions().len()).unwrap_or(0);
    println!("{{\"step\":\"metadata\",\"brokers\":{},\"partitions\":{}}}", md.brokers().len(), partitions);
    let described = block_on(admin.describe_configs(&[ResourceSpecifier::Topic(topic)], &opts())).expect("describe_configs");
    let resource = described.into_iter().next().expect("one resource").expect("described");
    let retention = resource.get("retention.ms").and_then(|e| e.value.clone()).unwrap_or_default();
    println!("{{\"step\":\"describeConfig\",\"retention.ms\":{}}}", js(&retention));
    let alter = AlterConfig::new(ResourceSpecifier::Topic(topic)).set("retention.ms", "7200000");
    for r in block_on(admin.alter_configs(&[alter], &opts())).expect("alter_configs") {
        r.map_err(|(_, code)| format!("{code:?}")).expect("alter");
    }
    let again = block_on(admin.describe_configs(&[ResourceSpecifier::Topic(topic)], &opts())).expect("describe_configs");
    let retention = again.into_iter().next().unwrap().unwrap().get("retention.ms").and_then(|e| e.value.clone()).unwrap_or_default();
    println!("{{\"step\":\"alterConfig\",\"retention.ms\":{}}}", js(&retention));
    for r in block_on(admin.create_partitions(&[NewPartitions::new(topic, 4)], &opts())).expect("create_partitions") {
        r.map_err(|(_, code)| format!("{code:?}")).expect("create partitions");
    }
    let md = admin.inner().fetch_metadata(Some(topic), TIMEOUT).expect("metadata");
    println!("{{\"step\":\"createPartitions\",\"partitions\":{}}}", md.topics()[0].partitions().len());
    let groups = admin.inner().fetch_group_list(None, TIMEOUT).expect("group list");
    println!("{{\"step\":\"listGroups\",\"groups\":{}}}", groups.groups().len());
    for r in block_on(admin.delete_topics(&[topic], &opts())).expect("delete_topics") {
        r.map_err(|(_, code)| format!("{code:?}")).expect("delete");
    }
    println!("{{\"step\":\"deleteTopic\"}}");
}

/// Prints each delivery report as it comes.
struct Reports;
impl ClientContext for Reports {}
impl ProducerContext for Reports {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(m) => println!("{{\"key\":{},\"error\":null,\"partition\":{},\"offset\":{}}}", js(&String::from_utf8_lossy(m.key().unwrap_or_default())), m.partition(), m.offset()),
            Err((e, m)) => println!("{{\"key\":{},\"error\":{},\"partition\":-1,\"offset\":-1}}", js(&String::from_utf8_lossy(m.key().unwrap_or_default())), js(&e.to_string())),
        }
    }
}

fn produce(bootstrap: &str, topic: &str, n: usize, codec: &str, partitions: i32) {
    create_topic(&admin_client(bootstrap), topic, partitions, &[]);
    let producer: ThreadedProducer<Reports> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("compression.type", codec)
        .set("linger.ms", "5")
        .create_with_context(Reports)
        .expect("producer");
    for i in 0..n {
        let key = format!("k{i}");
        let value = format!("v{i}");
        let mut record = BaseRecord::to(topic).key(&key).payload(&value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                // The local queue is full: wait for deliveries, then send again.
                Err((_, r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
    }
    producer.flush(TIMEOUT).expect("flush");
}

fn consume(bootstrap: &str, topic: &str, group: &str, n: usize, timeout_ms: u64, protocol: &str) {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("group.protocol", protocol);
    if protocol == "classic" {
        config.set("session.timeout.ms", "10000");
    }
    let consumer: BaseConsumer = config.create().expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    let mut read = 0;
    while read < n && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => println!("{{\"event\":\"error\",\"error\":{}}}", js(&e.to_string())),
            Some(Ok(m)) => {
                read += 1;
                println!(
                    "{{\"partition\":{},\"offset\":{},\"key\":{},\"value\":{}}}",
                    m.partition(), m.offset(),
                    js(&String::from_utf8_lossy(m.key().unwrap_or_default())),
                    js(&String::from_utf8_lossy(m.payload().unwrap_or_default()))
                );
            }
        }
    }
    if read > 0 {
        consumer.commit_consumer_state(CommitMode::Sync).expect("commit");
    }
    // What the group has committed now, as the coordinator answers it.
    let mut asked = TopicPartitionList::new();
    let md = consumer.fetch_metadata(Some(topic), TIMEOUT).expect("metadata");
    for p in md.topics()[0].partitions() {
        asked.add_partition(topic, p.id());
    }
    let committed = consumer.committed_offsets(asked, TIMEOUT).expect("committed");
    let sum: i64 = committed.elements().iter().map(|e| if let Offset::Offset(o) = e.offset() { o } else { 0 }).sum();
    println!("{{\"event\":\"committed\",\"sum\":{sum}}}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_else(|| panic!("usage: rdkafka-check admin|produce|consume ..."));
    match arg(1) {
        "admin" => admin(arg(2), arg(3)),
        "produce" => produce(arg(2), arg(3), arg(4).parse().unwrap(), arg(5), arg(6).parse().unwrap()),
        "consume" => consume(arg(2), arg(3), arg(4), arg(5).parse().unwrap(), arg(6).parse().unwrap(), args.get(7).map(String::as_str).unwrap_or("classic")),
        other => panic!("unknown mode {other}"),
    }
}
