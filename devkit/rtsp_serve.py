"""An RTSP (H.264) camera on loopback, from GStreamer's rtsp-server library.

Run with the system Python, which has the ``gi`` bindings from Debian's python3-gi and
gir1.2-gst-rtsp-server-1.0 (the project's venv does not):

    /usr/bin/python3 devkit/rtsp_serve.py CLIP.rgb PORT FPS [WIDTH HEIGHT]

CLIP.rgb is raw RGB frames (``face_clips`` writes them), played in a loop at FPS in real time
and encoded with x264 as a low-latency IP camera would; the stream is
rtsp://127.0.0.1:PORT/cam. Prints "ready" when it listens. Imports nothing of the project.
"""

import sys

import gi  # type: ignore[import-not-found]  # the system Python's, not the venv's

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[import-not-found]  # noqa: E402


def main() -> None:
    raw, port, fps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    width, height = (int(sys.argv[4]), int(sys.argv[5])) if len(sys.argv) > 5 else (640, 480)
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(
        f"( multifilesrc location={raw} loop=true"
        f" ! rawvideoparse width={width} height={height} format=rgb framerate={fps}/1"
        " ! clocksync ! videoconvert ! video/x-raw,format=I420"
        f" ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps}"
        " ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    server.attach(None)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
