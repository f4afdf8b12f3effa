"""Build step for the optional compiled part of the engine (``chaingrad/autograd/_accel.c``).

Everything else is configured in pyproject.toml. ``optional=True``: where no C compiler is
available the install still succeeds and chaingrad runs its pure-Python engine.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("chaingrad.autograd._accel", ["chaingrad/autograd/_accel.c"],
                             optional=True)])
