"""One third-party I/O library each, translated into the product's terms: ``mqtt`` (paho),
``broker`` (Mosquitto and the embedded amqtt), ``camera`` (OpenCV), ``recognizer`` (dlib and
face_recognition), ``images`` (Pillow), ``keys`` (key files), ``systemd`` (readiness and watchdog).
Adapters translate; they do not decide."""
