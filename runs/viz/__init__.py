"""The visual run (``dmzsim viz``): one scenario, day by day, in the browser.

* :mod:`.app`: the page (Solara) and its run loop;
* :mod:`.controls`: the controls, generated from the parameter schema; scenarios;
* :mod:`.components`: the monitors and the components around the renderers (with
  ``pointer.vue``, the layer over an image that reports its size and clicks);
* :mod:`.map`, :mod:`.plots`: the map and time-series renderers; :mod:`.drawing`: what
  they share; :mod:`.map_features`: the line of contact, ceded towns, the attack arrow and
  town labels, computed for drawing from the model's state;
* :mod:`.probe`: what is at a clicked point of the map (inspection);
* :mod:`.replicates`: "run N replicates" and "export", through the experiment runner.
"""
