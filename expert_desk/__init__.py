"""The smart-device expert desk: skills queue, agent console, supervisor view.

One concern per module:

* ``models`` tables; ``topics`` topics, skills, inference of the topic from words;
* ``queue`` the caller's side (question, line, position, estimate, callback, leaving);
* ``routing`` offers (strategy, no double offer), lapses, wrap-ups; ``staff`` agent state;
* ``agents`` accounts, status, accepting, notes; ``progress`` the call with the expert;
* ``reconcile`` the sweeper; ``reports`` live view, day report, metrics, from the event log;
* ``telephony`` Twilio's REST API; ``recordings`` recorded questions and their transcripts;
* ``desk`` the composition root; ``calls`` + ``webhooks`` the voice webhooks;
  ``views`` + ``console`` the web console; ``cli`` and ``demo`` for operators.

The caller-facing states live in :mod:`flows.expert_desk`. See ``README.md`` here.
"""
