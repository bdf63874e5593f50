"""Device adapters: door state machines, serial framing and links, MQTT devices, simulators."""
