"""Publishing experiments and checking that their published results still hold.

* :mod:`.reference`: the reference folder ``runs/reference/<name>/`` (write and read);
* :mod:`.publish`: run an experiment (or take its results folder) and publish it;
* :mod:`.verify`: re-run a published experiment and compare it with its reference;
* :mod:`.compare`: the exact, digit-for-digit comparison;
* :mod:`.verdict`: what ``dmzsim verify`` prints;
* :mod:`.readme`: the README's table of published experiments.
"""
