"""The Kivy touchscreen: door panel, officer wall display and manager console.

Kivy is imported only under this package. Screens bind to the plain-Python viewmodels in
``ui.viewmodels``; everything reaches the core through ``ui.gateway``.
"""
