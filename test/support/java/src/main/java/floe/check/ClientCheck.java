// The Java client (Apache Kafka's own) driven against a broker by floe's tests:
// one subcommand per scenario, JSON lines on stdout, exit 0 only when the
// scenario did everything it says. The tests assert on what it prints.
package floe.check;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class ClientCheck {
  private ClientCheck() {}

  static String q(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  /**
   * Every client's settings start from the file -Dfloe.client.config names, if any (security:
   * security.protocol, sasl.*, ssl.*), so each scenario runs unchanged over any listener.
   */
  static Properties base() {
    Properties p = new Properties();
    String file = System.getProperty("floe.client.config");
    if (file != null) {
      try (java.io.FileReader r = new java.io.FileReader(file)) {
        p.load(r);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return p;
  }

  static synchronized void out(String json) {
    System.out.println(json);
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "produce" -> System.exit(produce(args[1], args[2], Integer.parseInt(args[3]), args[4], Integer.parseInt(args[5])));
      case "consume" -> System.exit(consume(args[1], args[2], args[3], args[4], Integer.parseInt(args[5]), Long.parseLong(args[6]), args.length > 7 && args[7].equals("until-stdin-closes")));
      case "admin" -> System.exit(admin(args[1], args[2]));
      case "transactions" -> System.exit(transactions(args[1], args[2]));
      case "produce-hex" -> System.exit(produceHex(args[1], args[2], args[3], java.util.Arrays.copyOfRange(args, 4, args.length)));
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  /** Idempotent, acks=all, the given codec; keys k<i>, values v<i>, partition i % partitions. */
  static int produce(String bootstrap, String topic, int count, String compression, int partitions) throws Exception {
    Properties p = base();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    // The topic with its partitions first (auto-creation would make num.partitions of them).
    Properties ap = base();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(ap)) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) throw e;
    }
    AtomicInteger failed = new AtomicInteger();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < count; i++) {
        String key = "k" + i;
        producer.send(new ProducerRecord<>(topic, i % partitions, key, "v" + i), (md, e) -> {
          if (e != null) {
            failed.incrementAndGet();
            out("{\"key\":" + q(key) + ",\"error\":" + q(e.toString()) + "}");
          } else {
            out("{\"key\":" + q(key) + ",\"error\":null,\"partition\":" + md.partition() + ",\"offset\":" + md.offset() + "}");
          }
        });
      }
      producer.flush();
    }
    return failed.get() == 0 ? 0 : 1;
  }

  /**
   * Sends each value (hex) to partition 0 of the topic, one at a time (idempotence on or off),
   * and prints each outcome: the offset, or the exception the client gives the application
   * (for a batch the broker refused, the record's own error message).
   */
  static int produceHex(String bootstrap, String topic, String idempotence, String[] valuesHex) throws Exception {
    Properties p = base();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < valuesHex.length; i++) {
        byte[] value = java.util.HexFormat.of().parseHex(valuesHex[i]);
        try {
          var md = producer.send(new ProducerRecord<byte[], byte[]>(topic, 0, null, value)).get();
          out("{\"index\":" + i + ",\"error\":null,\"offset\":" + md.offset() + "}");
        } catch (java.util.concurrent.ExecutionException e) {
          out("{\"index\":" + i + ",\"error\":" + q(e.getCause().getClass().getSimpleName()) + ",\"message\":" + q(String.valueOf(e.getCause().getMessage())) + "}");
        }
      }
    }
    return 0;
  }

  /**
   * Subscribes with the classic or the consumer (KIP-848) protocol, reads `expected` records
   * (or, with untilStdinCloses, until the test closes its stdin: a test decides when the member
   * leaves by a condition, never by a quiet period), commits after every poll, prints each record.
   */
  static int consume(String bootstrap, String topic, String group, String protocol, int expected, long timeoutMs, boolean untilStdinCloses) {
    Properties p = base();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    // KIP-392: a consumer in a rack (zone) fetches from a broker of it when the leader says so.
    String rack = System.getProperty("floe.client.rack");
    if (rack != null) p.put(ConsumerConfig.CLIENT_RACK_CONFIG, rack);
    int got = 0;
    long deadline = System.currentTimeMillis() + timeoutMs;
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean(false);
    if (untilStdinCloses) {
      Thread stdin = new Thread(() -> {
        try { while (System.in.read() >= 0) { /* only the end matters */ } } catch (java.io.IOException e) { /* closed */ }
        stop.set(true);
      });
      stdin.setDaemon(true);
      stdin.start();
    }
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      // How many partitions the member holds, printed on every change (assignments can be incremental),
      // so a test can wait for the members to share them.
      Set<TopicPartition> held = new java.util.HashSet<>();
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          held.removeAll(partitions);
          out("{\"assigned\":" + held.size() + "}");
        }
        @Override public void onPartitionsLost(Collection<TopicPartition> partitions) {
          onPartitionsRevoked(partitions);
        }
        @Override public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          held.addAll(partitions);
          out("{\"assigned\":" + held.size() + "}");
        }
      });
      while (got < expected && System.currentTimeMillis() < deadline) {
        if (stop.get()) {
          consumer.commitSync();
          return 0;
        }
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          got++;
          out("{\"partition\":" + r.partition() + ",\"offset\":" + r.offset() + ",\"key\":" + q(r.key()) + ",\"value\":" + q(r.value()) + "}");
        }
        consumer.commitSync();
      }
      consumer.commitSync();
    }
    return got >= expected ? 0 : 1;
  }

  /**
   * A transactional producer (3 partitions): 50 records committed, 20 aborted, 10 committed; then
   * what a read_committed and a read_uncommitted consumer (assigned, from the start) each read.
   */
  static int transactions(String bootstrap, String topic) throws Exception {
    Properties ap = base();
    ap.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(ap)) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
    }
    Properties p = base();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-txn");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      int[][] runs = {{0, 50, 1}, {50, 70, 0}, {70, 80, 1}};
      for (int[] run : runs) {
        producer.beginTransaction();
        for (int i = run[0]; i < run[1]; i++) producer.send(new ProducerRecord<>(topic, i % 3, "k" + i, (run[2] == 1 ? "committed-" : "aborted-") + i));
        if (run[2] == 1) producer.commitTransaction();
        else {
          producer.flush();
          producer.abortTransaction();
        }
        out("{\"step\":" + q(run[2] == 1 ? "committed" : "aborted") + ",\"records\":" + (run[1] - run[0]) + "}");
      }
    }
    for (String isolation : List.of("read_committed", "read_uncommitted")) {
      Properties c = base();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
      c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      int committed = 0, aborted = 0;
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        List<TopicPartition> parts = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2));
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        long deadline = System.currentTimeMillis() + 30000;
        // Read until every partition's position reached its end (markers included) or the deadline.
        while (System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            if (r.value().startsWith("committed-")) committed++;
            else aborted++;
          }
          Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
          boolean done = true;
          for (TopicPartition tp : parts) if (consumer.position(tp) < ends.get(tp)) done = false;
          if (done) break;
        }
      }
      out("{\"isolation\":" + q(isolation) + ",\"committed\":" + committed + ",\"aborted\":" + aborted + "}");
    }
    return 0;
  }

  /** The admin API a user reaches for first; each step prints what the broker answered. */
  static int admin(String bootstrap, String topic) throws Exception {
    Properties p = base();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      var cluster = admin.describeCluster();
      out("{\"step\":\"describeCluster\",\"brokers\":" + cluster.nodes().get().size() + ",\"controller\":" + cluster.controller().get().id() + ",\"clusterId\":" + q(cluster.clusterId().get()) + "}");

      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(Map.of("retention.ms", "3600000")))).all().get();
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      out("{\"step\":\"createTopic\",\"partitions\":" + d.partitions().size() + ",\"topicId\":" + q(d.topicId().toString()) + "}");

      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "7200000"), AlterConfigOp.OpType.SET)))).all().get();
      // Apache Kafka applies the change through its controller and answers the old value for a moment.
      Config cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
      for (long until = System.currentTimeMillis() + 10_000; !"7200000".equals(cfg.get("retention.ms").value()) && System.currentTimeMillis() < until; ) {
        Thread.sleep(100);
        cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
      }
      out("{\"step\":\"configs\",\"retention.ms\":" + q(cfg.get("retention.ms").value()) + ",\"source\":" + q(cfg.get("retention.ms").source().name()) + ",\"cleanup.policy\":" + q(cfg.get("cleanup.policy").value()) + "}");

      admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(4))).all().get();
      // As with Apache Kafka, the broker answering describeTopics may learn of the new partition a moment later.
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      for (long until = System.currentTimeMillis() + 10_000; partitions < 4 && System.currentTimeMillis() < until; ) {
        Thread.sleep(100);
        partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      }
      out("{\"step\":\"createPartitions\",\"partitions\":" + partitions + "}");

      // Ten records in partition 0, then offsets, deleteRecords and group offsets.
      Properties pp = base();
      pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
        for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)).get();
      }
      TopicPartition tp0 = new TopicPartition(topic, 0);
      long latest = admin.listOffsets(Map.of(tp0, OffsetSpec.latest())).all().get().get(tp0).offset();
      admin.deleteRecords(Map.of(tp0, RecordsToDelete.beforeOffset(4))).all().get();
      long earliest = admin.listOffsets(Map.of(tp0, OffsetSpec.earliest())).all().get().get(tp0).offset();
      out("{\"step\":\"offsets\",\"latest\":" + latest + ",\"earliestAfterDelete\":" + earliest + "}");

      String group = topic + "-admin-group";
      admin.alterConsumerGroupOffsets(group, Map.of(tp0, new OffsetAndMetadata(7))).all().get();
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      boolean listed = admin.listConsumerGroups().all().get().stream().anyMatch((g) -> g.groupId().equals(group));
      ConsumerGroupDescription gd = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      out("{\"step\":\"groups\",\"committed\":" + committed.get(tp0).offset() + ",\"listed\":" + listed + ",\"state\":" + q(gd.groupState().toString()) + "}");
      admin.deleteConsumerGroups(List.of(group)).all().get();
      boolean stillListed = admin.listConsumerGroups().all().get().stream().anyMatch((g) -> g.groupId().equals(group));
      out("{\"step\":\"deleteGroup\",\"listed\":" + stillListed + "}");

      admin.deleteTopics(List.of(topic)).all().get();
      Set<String> names = admin.listTopics().names().get();
      out("{\"step\":\"deleteTopic\",\"listed\":" + names.contains(topic) + "}");
    }
    return 0;
  }
}
