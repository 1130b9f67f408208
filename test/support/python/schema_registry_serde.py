"""confluent-kafka-python's Schema Registry client and serializers against floe; prints one JSON line.

  roundtrip <bootstrap> <registry-url> <avro-topic> <json-topic>
      registers (auto) and serializes records with AvroSerializer and JSONSerializer, produces them,
      consumes them and deserializes them; then sends bytes that are not in the wire format to the
      JSON topic and reports the delivery error the producer got.
"""
import json
import sys

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

AVRO = json.dumps({'type': 'record', 'name': 'Reading', 'namespace': 'sensors',
                   'fields': [{'name': 'sensor', 'type': 'string'}, {'name': 'celsius', 'type': 'double'}]})
JSON_SCHEMA = json.dumps({'type': 'object', 'title': 'Alert', 'properties': {'level': {'type': 'string'}, 'code': {'type': 'integer'}},
                          'required': ['level', 'code']})


def consume(bootstrap, topic, n):
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': f'{topic}-py', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    c.subscribe([topic])
    got = []
    for _ in range(600):
        m = c.poll(0.1)
        if m is None or m.error():
            if len(got) >= n:
                break
            continue
        got.append(m.value())
        if len(got) >= n:
            break
    c.close()
    return got


def roundtrip(bootstrap, url, avro_topic, json_topic):
    registry = SchemaRegistryClient({'url': url})
    avro_ser = AvroSerializer(registry, AVRO)
    json_ser = JSONSerializer(JSON_SCHEMA, registry)
    readings = [{'sensor': 'a', 'celsius': 21.5}, {'sensor': 'b', 'celsius': -3.0}]
    alerts = [{'level': 'warn', 'code': 7}, {'level': 'page', 'code': 9}]
    errors = []
    p = Producer({'bootstrap.servers': bootstrap, 'linger.ms': 5})
    for r in readings:
        p.produce(avro_topic, avro_ser(r, SerializationContext(avro_topic, MessageField.VALUE)))
    for a in alerts:
        p.produce(json_topic, json_ser(a, SerializationContext(json_topic, MessageField.VALUE)))
    # Flushed first: a refused record fails its whole batch, as in Kafka.
    p.flush(30)
    p.produce(json_topic, b'not in the wire format', on_delivery=lambda err, msg: errors.append(None if err is None else {'name': err.name(), 'str': err.str()}))
    p.flush(30)
    avro_de = AvroDeserializer(registry)
    json_de = JSONDeserializer(JSON_SCHEMA, schema_registry_client=registry)
    got_readings = [avro_de(v, SerializationContext(avro_topic, MessageField.VALUE)) for v in consume(bootstrap, avro_topic, len(readings))]
    got_alerts = [json_de(v, SerializationContext(json_topic, MessageField.VALUE)) for v in consume(bootstrap, json_topic, len(alerts))]
    subjects = sorted(registry.get_subjects())
    latest = registry.get_latest_version(f'{avro_topic}-value')
    print(json.dumps({'readings': got_readings, 'alerts': got_alerts, 'subjects': subjects, 'avroSchemaId': latest.schema_id,
                      'avroSchemaType': latest.schema.schema_type, 'bad': errors}), flush=True)


if __name__ == '__main__':
    if sys.argv[1] == 'roundtrip':
        roundtrip(*sys.argv[2:6])
    else:
        raise SystemExit(f'unknown mode {sys.argv[1]}')
