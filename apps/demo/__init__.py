"""``micropay demo`` (what ``./build.sh run`` starts): the gateway, the demo shop and the
conformance profile, with demo data, in one command.

It stands above both applications it starts -- the shop (``apps/micropay``) and the harness's
profile of the demo (``apps/interop/demo_profile.py``) -- and below nothing: the gateway's
command line finds it through the ``micropay.commands`` entry point.
"""
