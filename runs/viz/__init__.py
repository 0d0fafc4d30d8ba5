"""The visual run (``dmzsim viz``): one scenario, day by day, in the browser.

* :mod:`.app`: the page (Solara) and its run loop;
* :mod:`.controls`: the controls, generated from the parameter schema; scenarios;
* :mod:`.components`: the monitors and the components around the renderers;
* :mod:`.map`, :mod:`.plots`: the map and time-series renderers; :mod:`.drawing`: what
  they share;
* :mod:`.replicates`: "run N replicates" and "export", through the experiment runner.
"""
