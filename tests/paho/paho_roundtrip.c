/* Paho C against Sakura: QoS 0/1/2 round trip, a retained message, a persistent session that
 * receives what was published while it was away. Prints "paho: ok" and exits 0 on success. */
#include <MQTTClient.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char* what, int rc) {
  printf("paho: FAILED %s (rc=%d)\n", what, rc);
  return 1;
}

static MQTTClient make(const char* uri, const char* id, int clean) {
  MQTTClient c;
  MQTTClient_create(&c, uri, id, MQTTCLIENT_PERSISTENCE_NONE, NULL);
  MQTTClient_connectOptions o = MQTTClient_connectOptions_initializer;
  o.keepAliveInterval = 20;
  o.cleansession = clean;
  int rc = MQTTClient_connect(c, &o);
  if (rc != MQTTCLIENT_SUCCESS) {
    printf("paho: connect %s failed rc=%d\n", id, rc);
    exit(1);
  }
  return c;
}

static int receive(MQTTClient c, const char* want_topic, const char* want, int want_qos) {
  char* topic = NULL;
  int len = 0;
  MQTTClient_message* msg = NULL;
  int rc = MQTTClient_receive(c, &topic, &len, &msg, 5000);
  if (rc != MQTTCLIENT_SUCCESS || !msg) return fail("receive", rc);
  int ok = strcmp(topic, want_topic) == 0 && msg->payloadlen == (int)strlen(want) &&
           memcmp(msg->payload, want, strlen(want)) == 0 && msg->qos == want_qos;
  if (!ok) printf("paho: got %s '%.*s' qos %d\n", topic, msg->payloadlen, (char*)msg->payload, msg->qos);
  MQTTClient_freeMessage(&msg);
  MQTTClient_free(topic);
  return ok ? 0 : fail("message content", 0);
}

static int publish(MQTTClient c, const char* topic, const char* payload, int qos, int retained) {
  MQTTClient_deliveryToken t;
  int rc = MQTTClient_publish(c, topic, (int)strlen(payload), payload, qos, retained, &t);
  if (rc != MQTTCLIENT_SUCCESS) return fail("publish", rc);
  rc = MQTTClient_waitForCompletion(c, t, 5000);
  return rc == MQTTCLIENT_SUCCESS ? 0 : fail("publish completion", rc);
}

int main(int argc, char** argv) {
  if (argc < 2) return fail("usage: paho_roundtrip tcp://host:port", 0);
  const char* uri = argv[1];
  MQTTClient sub = make(uri, "paho-sub", 1);
  MQTTClient pub = make(uri, "paho-pub", 1);
  if (MQTTClient_subscribe(sub, "paho/t", 2) != MQTTCLIENT_SUCCESS) return fail("subscribe", 0);
  for (int qos = 0; qos <= 2; ++qos) {
    char payload[32];
    snprintf(payload, sizeof payload, "qos%d", qos);
    if (publish(pub, "paho/t", payload, qos, 0)) return 1;
    if (receive(sub, "paho/t", payload, qos)) return 1;
  }
  if (publish(pub, "paho/retained", "kept", 1, 1)) return 1;
  if (MQTTClient_subscribe(sub, "paho/retained", 1) != MQTTCLIENT_SUCCESS) return fail("subscribe", 0);
  if (receive(sub, "paho/retained", "kept", 1)) return 1;

  /* persistent session: subscribe, go away, messages wait, come back */
  MQTTClient away = make(uri, "paho-away", 0);
  if (MQTTClient_subscribe(away, "paho/away", 1) != MQTTCLIENT_SUCCESS) return fail("subscribe", 0);
  MQTTClient_disconnect(away, 1000);
  MQTTClient_destroy(&away);
  if (publish(pub, "paho/away", "waited", 1, 0)) return 1;
  away = make(uri, "paho-away", 0);
  if (receive(away, "paho/away", "waited", 1)) return 1;

  MQTTClient_disconnect(away, 1000);
  MQTTClient_disconnect(sub, 1000);
  MQTTClient_disconnect(pub, 1000);
  MQTTClient_destroy(&away);
  MQTTClient_destroy(&sub);
  MQTTClient_destroy(&pub);
  printf("paho: ok\n");
  return 0;
}
