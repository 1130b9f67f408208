// A Kafka client written with sarama (Shopify/sarama, as Debian ships it),
// run by the tests as a separate process against a floe broker:
//
//	sarama-client produce <bootstrap> <topic> <count> <codec>
//	  an idempotent SyncProducer (acks=all) sends values v0..v<count-1>
//	  with keys k<i>; prints "produced <count>".
//	sarama-client consume-group <bootstrap> <topic> <group> <count>
//	  a ConsumerGroup member reads from the oldest offset until it has
//	  <count> records, marks each one, and closes (which commits); prints
//	  "<partition> <offset> <key> <value>" per record.
//
// It prints errors to stderr and exits 1; it never decides what is correct,
// the test does.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func config() *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.ClientID = "floe-sarama-test"
	cfg.Version = sarama.V2_1_0_0
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	return cfg
}

func codec(name string) sarama.CompressionCodec {
	switch name {
	case "none":
		return sarama.CompressionNone
	case "gzip":
		return sarama.CompressionGZIP
	case "snappy":
		return sarama.CompressionSnappy
	case "lz4":
		return sarama.CompressionLZ4
	case "zstd":
		return sarama.CompressionZSTD
	}
	fail("unknown codec %q", name)
	return sarama.CompressionNone
}

func produce(bootstrap, topic string, count int, codecName string) {
	cfg := config()
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Retry.Max = 5
	cfg.Producer.Return.Successes = true
	cfg.Producer.Compression = codec(codecName)
	cfg.Net.MaxOpenRequests = 1
	p, err := sarama.NewSyncProducer([]string{bootstrap}, cfg)
	if err != nil {
		fail("producer: %v", err)
	}
	const batch = 100
	for from := 0; from < count; from += batch {
		msgs := []*sarama.ProducerMessage{}
		for i := from; i < from+batch && i < count; i++ {
			msgs = append(msgs, &sarama.ProducerMessage{
				Topic: topic,
				Key:   sarama.StringEncoder("k" + strconv.Itoa(i)),
				Value: sarama.StringEncoder("v" + strconv.Itoa(i)),
			})
		}
		if err := p.SendMessages(msgs); err != nil {
			fail("send: %v", err)
		}
	}
	if err := p.Close(); err != nil {
		fail("close: %v", err)
	}
	fmt.Printf("produced %d\n", count)
}

type groupHandler struct {
	mu     sync.Mutex
	seen   int
	count  int
	cancel context.CancelFunc
}

func (h *groupHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *groupHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *groupHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		h.mu.Lock()
		fmt.Printf("%d %d %s %s\n", msg.Partition, msg.Offset, msg.Key, msg.Value)
		sess.MarkMessage(msg, "")
		h.seen++
		if h.seen >= h.count {
			h.cancel()
		}
		h.mu.Unlock()
	}
	return nil
}

func consumeGroup(bootstrap, topic, group string, count int) {
	cfg := config()
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	g, err := sarama.NewConsumerGroup([]string{bootstrap}, group, cfg)
	if err != nil {
		fail("consumer group: %v", err)
	}
	go func() {
		for err := range g.Errors() {
			fmt.Fprintf(os.Stderr, "consumer error: %v\n", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := &groupHandler{count: count, cancel: cancel}
	for ctx.Err() == nil {
		if err := g.Consume(ctx, []string{topic}, h); err != nil {
			fail("consume: %v", err)
		}
	}
	if err := g.Close(); err != nil {
		fail("close: %v", err)
	}
	if h.seen < count {
		fail("timed out after %d of %d records", h.seen, count)
	}
}

func main() {
	if len(os.Args) < 6 {
		fail("usage: sarama-client produce <bootstrap> <topic> <count> <codec> | consume-group <bootstrap> <topic> <group> <count>")
	}
	switch os.Args[1] {
	case "produce":
		n, err := strconv.Atoi(os.Args[4])
		if err != nil {
			fail("count: %v", err)
		}
		produce(os.Args[2], os.Args[3], n, os.Args[5])
	case "consume-group":
		n, err := strconv.Atoi(os.Args[5])
		if err != nil {
			fail("count: %v", err)
		}
		consumeGroup(os.Args[2], os.Args[3], os.Args[4], n)
	default:
		fail("unknown mode %q", os.Args[1])
	}
}
