"""The morning review: a local web page for one night and for many (``emgcramp review``).

``data`` turns an analysed night into what the page shows (the level
timeline × rest, each event in plain words, the person's answers);
``nights`` lists the nights of a folder; ``page`` writes the HTML, served
or saved whole (``emgcramp report NIGHT --out night.html``); ``app`` holds
the routes (Flask) and ``server`` runs them on 127.0.0.1 behind a token.
Only ``app`` and ``server`` import Flask.
"""
