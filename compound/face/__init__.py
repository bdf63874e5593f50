"""On-device face unlock: camera → dlib → 1:N match → liveness → access request to the core.

Modules: ``camera`` (OpenCV, the only one), ``images`` (Pillow), ``recognizer`` (dlib and
face_recognition, the only one), pure ``gallery``, ``liveness``, ``quality``, ``pipeline``;
``templates`` (consents and encrypted templates), ``enrol``, ``service`` and ``commands``.
"""
