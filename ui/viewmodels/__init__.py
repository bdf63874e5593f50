"""Plain-Python state behind each screen: no Kivy here, so they are tested without a display."""
