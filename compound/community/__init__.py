"""Community safety and property management: rental housing, care alerts, notices, reports and
the uplink to the city platform."""
