// franz-go (github.com/twmb/franz-go, the reference Go client) against a
// Kafka-compatible broker. Each mode prints one JSON object per line so the
// test can check what the broker answered:
//
//	admin <bootstrap> <topic>
//	produce <bootstrap> <topic> <records> <codec> <partitions>
//	consume <bootstrap> <topic> <group> <classic|consumer> <records> <timeoutMs> [until-stdin-closes]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
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

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: franz-go-check admin|produce|consume <bootstrap> ...")
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
		n, _ := strconv.Atoi(os.Args[6])
		timeout, _ := strconv.Atoi(os.Args[7])
		os.Exit(consume(os.Args[2], os.Args[3], os.Args[4], os.Args[5], n, time.Duration(timeout)*time.Millisecond, len(os.Args) > 8 && os.Args[8] == "until-stdin-closes"))
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}

func codec(name string) kgo.CompressionCodec {
	switch name {
	case "gzip":
		return kgo.GzipCompression()
	case "snappy":
		return kgo.SnappyCompression()
	case "lz4":
		return kgo.Lz4Compression()
	case "zstd":
		return kgo.ZstdCompression()
	}
	return kgo.NoCompression()
}

// produce creates the topic, then sends records k0..kN-1 (values v0..) with acks=all and
// idempotence (franz-go's default), spread over the partitions by record index.
func produce(bootstrap, topic string, n int, codecName string, partitions int32) {
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ProducerBatchCompression(codec(codecName)), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		fail("client", err)
	}
	defer cl.Close()
	// A rerun against an existing topic goes on.
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic); err != nil && !strings.Contains(err.Error(), "TOPIC_ALREADY_EXISTS") {
		fail("createTopic", err)
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		key := fmt.Sprintf("k%d", i)
		r := &kgo.Record{Topic: topic, Partition: int32(i) % partitions, Key: []byte(key), Value: []byte(fmt.Sprintf("v%d", i))}
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				out(map[string]any{"key": key, "error": err.Error(), "partition": r.Partition, "offset": -1})
				return
			}
			out(map[string]any{"key": key, "error": nil, "partition": r.Partition, "offset": r.Offset})
		})
	}
	wg.Wait()
}

// consume joins the group with the classic protocol or, with "consumer", KIP-848
// (franz-go's ServerSideBalancer), reads until `n` records (or, with untilStdinCloses, until
// the test closes stdin), commits what it read, and leaves. It prints each record and, on
// every assignment change, how many partitions it holds.
func consume(bootstrap, topic, group, protocol string, n int, timeout time.Duration, untilStdinCloses bool) int {
	var held atomic.Int64
	opts := []kgo.Opt{
		kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(topic), kgo.ConsumerGroup(group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			out(map[string]any{"assigned": held.Add(int64(len(m[topic])))})
		}),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
			// Commit what was read before the partitions move, as a careful application does.
			_ = cl.CommitUncommittedOffsets(ctx)
			out(map[string]any{"assigned": held.Add(-int64(len(m[topic])))})
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			out(map[string]any{"assigned": held.Add(-int64(len(m[topic])))})
		}),
	}
	if protocol == "consumer" {
		opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.CooperativeStickyBalancer()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		fail("client", err)
	}
	stop := make(chan struct{})
	if untilStdinCloses {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(stop)
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got := 0
	for got < n {
		select {
		case <-stop:
			n = got
			continue
		default:
		}
		pollCtx, pollCancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := cl.PollFetches(pollCtx)
		pollCancel()
		if ctx.Err() != nil {
			break
		}
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				out(map[string]any{"fetchError": err.Error(), "partition": p})
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			got++
			out(map[string]any{"partition": r.Partition, "offset": r.Offset, "key": string(r.Key), "value": string(r.Value)})
		})
		if err := cl.CommitUncommittedOffsets(context.Background()); err != nil {
			out(map[string]any{"commitError": err.Error()})
		}
	}
	if err := cl.CommitUncommittedOffsets(context.Background()); err != nil {
		out(map[string]any{"commitError": err.Error()})
	}
	cl.Close() // leaves the group
	if got >= n {
		return 0
	}
	return 1
}

// admin walks through the kadm calls an operator's tool makes, printing what came back.
func admin(bootstrap, topic string) {
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		fail("client", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	brokers, err := adm.ListBrokers(ctx)
	if err != nil {
		fail("listBrokers", err)
	}
	out(map[string]any{"step": "listBrokers", "brokers": len(brokers)})

	retention := "3600000"
	created, err := adm.CreateTopic(ctx, 3, 1, map[string]*string{"retention.ms": &retention}, topic)
	if err != nil {
		fail("createTopic", err)
	}
	out(map[string]any{"step": "createTopic", "topic": created.Topic, "partitions": created.NumPartitions})

	configs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		fail("describeConfigs", err)
	}
	rc, err := configs.On(topic, nil)
	if err != nil {
		fail("describeConfigs", err)
	}
	got := map[string]any{"step": "describeConfigs"}
	for _, c := range rc.Configs {
		if (c.Key == "retention.ms" || c.Key == "cleanup.policy") && c.Value != nil {
			got[c.Key] = *c.Value
			if c.Key == "retention.ms" {
				got["source"] = c.Source.String()
			}
		}
	}
	out(got)

	two := "7200000"
	altered, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &two}}, topic)
	if err == nil {
		for _, a := range altered {
			err = a.Err
		}
	}
	if err != nil {
		fail("alterConfigs", err)
	}
	configs, _ = adm.DescribeTopicConfigs(ctx, topic)
	rc, _ = configs.On(topic, nil)
	for _, c := range rc.Configs {
		if c.Key == "retention.ms" && c.Value != nil {
			out(map[string]any{"step": "alterConfigs", "retention.ms": *c.Value})
		}
	}

	if _, err := adm.CreatePartitions(ctx, 1, topic); err != nil {
		fail("createPartitions", err)
	}
	details, err := adm.ListTopics(ctx, topic)
	if err != nil {
		fail("listTopics", err)
	}
	out(map[string]any{"step": "createPartitions", "partitions": len(details[topic].Partitions)})

	// Ten records to partition 0, then offsets, delete records below 4, and offsets again.
	pcl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		fail("producer", err)
	}
	for i := 0; i < 10; i++ {
		if err := pcl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: 0, Value: []byte(fmt.Sprintf("r%d", i))}).FirstErr(); err != nil {
			fail("produce", err)
		}
	}
	pcl.Close()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		fail("listEndOffsets", err)
	}
	end, _ := ends.Lookup(topic, 0)
	del := kadm.Offsets{}
	del.Add(kadm.Offset{Topic: topic, Partition: 0, At: 4})
	deleted, err := adm.DeleteRecords(ctx, del)
	if err == nil {
		err = deleted.Error()
	}
	if err != nil {
		fail("deleteRecords", err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		fail("listStartOffsets", err)
	}
	start, _ := starts.Lookup(topic, 0)
	out(map[string]any{"step": "offsets", "latest": end.Offset, "earliestAfterDelete": start.Offset})

	group := topic + "-g"
	commit := kadm.Offsets{}
	commit.Add(kadm.Offset{Topic: topic, Partition: 0, At: 7, LeaderEpoch: -1})
	committed, err := adm.CommitOffsets(ctx, group, commit)
	if err == nil {
		err = committed.Error()
	}
	if err != nil {
		fail("commitOffsets", err)
	}
	fetched, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		fail("fetchOffsets", err)
	}
	at, _ := fetched.Lookup(topic, 0)
	lag, err := adm.Lag(ctx, group)
	if err != nil {
		fail("lag", err)
	}
	groups, err := adm.ListGroups(ctx)
	if err != nil {
		fail("listGroups", err)
	}
	_, listed := groups[group]
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		fail("describeGroups", err)
	}
	out(map[string]any{"step": "groups", "committed": at.At, "lag": lag[group].Lag.Total(), "listed": listed, "state": described[group].State})

	if _, err := adm.DeleteGroups(ctx, group); err != nil {
		fail("deleteGroups", err)
	}
	groups, _ = adm.ListGroups(ctx)
	_, listed = groups[group]
	out(map[string]any{"step": "deleteGroup", "listed": listed})

	if _, err := adm.DeleteTopics(ctx, topic); err != nil {
		fail("deleteTopics", err)
	}
	// kadm answers from franz-go's metadata cache (up to MetadataMinAge, 5 s, old): look until it is gone.
	listed = true
	for deadline := time.Now().Add(15 * time.Second); listed && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		topics, err := adm.ListTopics(ctx)
		listed = err != nil || topics.Has(topic)
	}
	out(map[string]any{"step": "deleteTopic", "listed": listed})
}
