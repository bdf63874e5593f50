"""compound: the edge appliance for one residential compound.

The modules at this level split into a pure core (models, access policy, door rules, topic
scheme, message codecs) that takes plain values and an injected clock, and a few adapters that
each own one I/O library (``store`` owns sqlite-utils, ``bus`` owns paho-mqtt).
"""

__version__ = "0.1.0"
