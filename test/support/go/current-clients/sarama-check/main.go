// sarama (github.com/IBM/sarama, the current release) against a
// Kafka-compatible broker, speaking Kafka 4.0's protocol versions. Each mode
// prints one JSON object per line; the test decides what is correct:
//
//	admin <bootstrap> <topic>
//	produce <bootstrap> <topic> <records> <codec> <partitions>
//	consume <bootstrap> <topic> <group> <records> <timeoutMs>
//	transactions <bootstrap> <topic>
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

var outMu sync.Mutex

func out(v map[string]any) {
	b, _ := json.Marshal(v)
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Println(string(b))
}

func fail(step string, err error) {
	out(map[string]any{"step": step, "error": err.Error()})
	os.Exit(1)
}

func config() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "floe-sarama-current"
	cfg.Version = sarama.V4_0_0_0
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	return cfg
}

func codec(name string) sarama.CompressionCodec {
	switch name {
	case "gzip":
		return sarama.CompressionGZIP
	case "snappy":
		return sarama.CompressionSnappy
	case "lz4":
		return sarama.CompressionLZ4
	case "zstd":
		return sarama.CompressionZSTD
	}
	return sarama.CompressionNone
}

func createTopic(bootstrap, topic string, partitions int32) {
	adm, err := sarama.NewClusterAdmin([]string{bootstrap}, config())
	if err != nil {
		fail("admin", err)
	}
	defer adm.Close()
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false); err != nil && !errors.Is(err, sarama.ErrTopicAlreadyExists) {
		fail("createTopic", err)
	}
}

// produce sends k0..kN-1 with an idempotent acks=all SyncProducer, partition i % partitions.
func produce(bootstrap, topic string, n int, codecName string, partitions int32) {
	createTopic(bootstrap, topic, partitions)
	cfg := config()
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Retry.Max = 5
	cfg.Producer.Return.Successes = true
	cfg.Producer.Compression = codec(codecName)
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Net.MaxOpenRequests = 1
	p, err := sarama.NewSyncProducer([]string{bootstrap}, cfg)
	if err != nil {
		fail("producer", err)
	}
	for from := 0; from < n; from += 100 {
		msgs := []*sarama.ProducerMessage{}
		for i := from; i < from+100 && i < n; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{Topic: topic, Partition: int32(i) % partitions, Key: sarama.StringEncoder("k" + strconv.Itoa(i)), Value: sarama.StringEncoder("v" + strconv.Itoa(i))})
		}
		if err := p.SendMessages(msgs); err != nil {
			fail("send", err)
		}
		for _, m := range msgs {
			k, _ := m.Key.Encode()
			out(map[string]any{"key": string(k), "error": nil, "partition": m.Partition, "offset": m.Offset})
		}
	}
	if err := p.Close(); err != nil {
		fail("close", err)
	}
}

type handler struct {
	mu     sync.Mutex
	seen   int
	want   int
	cancel context.CancelFunc
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.mu.Lock()
		out(map[string]any{"partition": m.Partition, "offset": m.Offset, "key": string(m.Key), "value": string(m.Value)})
		sess.MarkMessage(m, "")
		h.seen++
		if h.seen >= h.want {
			h.cancel()
		}
		h.mu.Unlock()
	}
	return nil
}

// consume reads with a classic consumer group from the oldest offset until n records or the timeout; closing commits.
func consume(bootstrap, topic, group string, n int, timeout time.Duration) int {
	cfg := config()
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 200 * time.Millisecond
	cfg.Consumer.IsolationLevel = sarama.ReadCommitted
	g, err := sarama.NewConsumerGroup([]string{bootstrap}, group, cfg)
	if err != nil {
		fail("consumerGroup", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	h := &handler{want: n, cancel: cancel}
	for ctx.Err() == nil {
		if err := g.Consume(ctx, []string{topic}, h); err != nil {
			fail("consume", err)
		}
	}
	if err := g.Close(); err != nil {
		fail("close", err)
	}
	if h.seen >= n {
		return 0
	}
	return 1
}

// transactions: a transactional producer commits 30 records, aborts 20, commits 10 (3 partitions).
func transactions(bootstrap, topic string) {
	createTopic(bootstrap, topic, 3)
	cfg := config()
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Transaction.ID = topic + "-txn"
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Net.MaxOpenRequests = 1
	p, err := sarama.NewSyncProducer([]string{bootstrap}, cfg)
	if err != nil {
		fail("producer", err)
	}
	runs := []struct {
		from, to int
		commit   bool
	}{{0, 30, true}, {30, 50, false}, {50, 60, true}}
	for _, r := range runs {
		if err := p.BeginTxn(); err != nil {
			fail("begin", err)
		}
		for i := r.from; i < r.to; i++ {
			prefix := "aborted-"
			if r.commit {
				prefix = "committed-"
			}
			if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Partition: int32(i % 3), Value: sarama.StringEncoder(prefix + strconv.Itoa(i))}); err != nil {
				fail("send", err)
			}
		}
		if r.commit {
			err = p.CommitTxn()
		} else {
			err = p.AbortTxn()
		}
		if err != nil {
			fail("end", err)
		}
		out(map[string]any{"step": map[bool]string{true: "committed", false: "aborted"}[r.commit], "records": r.to - r.from})
	}
	if err := p.Close(); err != nil {
		fail("close", err)
	}
}

// admin walks through ClusterAdmin calls, printing what came back.
func admin(bootstrap, topic string) {
	adm, err := sarama.NewClusterAdmin([]string{bootstrap}, config())
	if err != nil {
		fail("admin", err)
	}
	defer adm.Close()
	brokers, _, err := adm.DescribeCluster()
	if err != nil {
		fail("describeCluster", err)
	}
	out(map[string]any{"step": "describeCluster", "brokers": len(brokers)})
	retention := "3600000"
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1, ConfigEntries: map[string]*string{"retention.ms": &retention}}, false); err != nil {
		fail("createTopic", err)
	}
	entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"retention.ms"}})
	if err != nil || len(entries) == 0 {
		fail("describeConfig", fmt.Errorf("%v (%d entries)", err, len(entries)))
	}
	out(map[string]any{"step": "describeConfig", "retention.ms": entries[0].Value})
	if err := adm.CreatePartitions(topic, 4, nil, false); err != nil {
		fail("createPartitions", err)
	}
	meta, err := adm.DescribeTopics([]string{topic})
	if err != nil || len(meta) != 1 {
		fail("describeTopics", fmt.Errorf("%v", err))
	}
	out(map[string]any{"step": "createPartitions", "partitions": len(meta[0].Partitions)})
	if err := adm.DeleteRecords(topic, map[int32]int64{0: 0}); err != nil {
		fail("deleteRecords", err)
	}
	groups, err := adm.ListConsumerGroups()
	if err != nil {
		fail("listConsumerGroups", err)
	}
	out(map[string]any{"step": "listConsumerGroups", "groups": len(groups)})
	if err := adm.DeleteTopic(topic); err != nil {
		fail("deleteTopic", err)
	}
	out(map[string]any{"step": "deleteTopic"})
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: sarama-check admin|produce|consume|transactions <bootstrap> ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "admin":
		admin(os.Args[2], os.Args[3])
	case "produce":
		n, _ := strconv.Atoi(os.Args[4])
		parts, _ := strconv.Atoi(os.Args[6])
		produce(os.Args[2], os.Args[3], n, os.Args[5], int32(parts))
	case "consume":
		n, _ := strconv.Atoi(os.Args[5])
		t, _ := strconv.Atoi(os.Args[6])
		os.Exit(consume(os.Args[2], os.Args[3], os.Args[4], n, time.Duration(t)*time.Millisecond))
	case "transactions":
		transactions(os.Args[2], os.Args[3])
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}
