"""Speech recognition, a leaf: caller audio to text where Twilio does not do it
(``recognition``: the offline grammar and SpeechRecognition backends)."""
