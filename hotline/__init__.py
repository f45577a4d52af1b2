"""The composition root, the top of the service: ``container`` builds the database, engine,
renderer, SMS sender, desk and recognizer once and hands them in; ``cli`` is the ``ivr``
command line; ``demo`` the demo data; ``metrics`` the Prometheus endpoint; ``production``
the gunicorn server and its checks; ``twilio_rest`` the one Twilio REST client factory;
``listen`` checks that a port can be served before anything starts."""
