"""Creates SCRAM users with confluent-kafka's AdminClient (AlterUserScramCredentials),
then describes them (DescribeUserScramCredentials), printing one JSON line:
{"described": {user: [[mechanism, iterations], ...]}, "errors": {user: message}}.

usage: scram_users.py BOOTSTRAP USER:MECHANISM:PASSWORD:ITERATIONS ...
"""
import json
import sys

from confluent_kafka.admin import AdminClient, ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

bootstrap = sys.argv[1]
admin = AdminClient({"bootstrap.servers": bootstrap})
upsertions = []
for spec in sys.argv[2:]:
    user, mechanism, password, iterations = spec.split(":")
    info = ScramCredentialInfo(getattr(ScramMechanism, mechanism.replace("-", "_")), int(iterations))
    upsertions.append(UserScramCredentialUpsertion(user, info, password.encode()))
errors = {}
for user, f in admin.alter_user_scram_credentials(upsertions).items():
    try:
        f.result()
    except Exception as e:  # the test asserts on the message
        errors[user] = str(e)
described = {}
for user, desc in admin.describe_user_scram_credentials().result().items():
    described[user] = [[str(c.mechanism).split(".")[-1], c.iterations] for c in desc.scram_credential_infos]
print(json.dumps({"described": described, "errors": errors}), flush=True)
