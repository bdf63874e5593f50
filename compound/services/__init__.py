"""The long-running parts: the core (access decisions, door events, the request/response API)
and its extensions (people, security limits, community safety, intercom), the face service and
the uplink to the city platform. Each receives what it needs in its constructor."""
