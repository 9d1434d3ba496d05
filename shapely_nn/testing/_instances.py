"""Methods under test: the instance to call them on, built field by field for
a parameter structure, through its constructor for other classes, or from a
concrete subclass for an abstract one."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._init import init, struct_spec
from ._objects import abstract_methods, construct, subclasses
from ._preconditions import call_factory, factory_for, registered
from ._sizes import AxisSet
from ._subject import Skip, make_subject

__all__ = ["MethodCase"]


class MethodCase:
    """A method tested on an instance of its class: built field by field with
    `init` for a NamedTuple / dataclass / equinox module whose fields are
    annotated (the fields share the sizes), otherwise through its constructor
    with arguments drawn from the constructor's annotations and defaults."""

    def __init__(self, cls: type, name: str) -> None:
        self.cls, self.name = cls, name
        self.__qualname__ = f"{cls.__qualname__}.{name}"

    def bound(self, user: Mapping[str, int], seed: int) -> tuple[Any, dict[str, Any], bool]:
        """(the bound method, the axis sizes the instance was built with, whether
        the instance is a guess: built with non-array constructor arguments
        shapely_nn made up, so the method is not to blame if it refuses it)."""
        # the method's own axes first, so that constructor arguments named like
        # them (`num_states: int`) get the sizes the method's arguments will have
        sized = {**self._method_sizes(user, seed), **user}
        instance = self._from_factory(sized)
        if instance is not None:  # the user's own instance comes first
            return self._bind(instance), dict(sized), False
        try:
            spec = struct_spec(self.cls)
        except TypeError:
            spec = None
        if spec is not None:
            drawn = AxisSet.of([spec]).draw(np.random.default_rng(seed), user=dict(user))
            try:
                instance = init(self.cls, drawn.single, seed)
                return self._bind(instance), {**drawn.single, **user}, False
            except Exception:
                # a field init cannot fill, or a check in the class rejects drawn
                # values: try the constructor (its reason is the one reported)
                pass
        user = sized
        if not abstract_methods(self.cls):
            instance, sizes, guess = construct(self.cls, user, seed)
            return self._bind(instance), {**sizes, **user}, guess
        return self._on_a_concrete_subclass(user, seed)

    def _bind(self, instance: Any) -> Any:
        """This class's method on `instance`, even where the instance (made by a
        factory) is of a subclass that overrides it."""
        attr = inspect.getattr_static(self.cls, self.name, None)
        get = getattr(attr, "__get__", None)
        return get(instance, type(instance)) if get is not None else getattr(instance, self.name)

    def _from_factory(self, user: Mapping[str, int]) -> Any:
        """An instance from a registered factory: one registered for the class, or
        for a base class if it makes one of this class (a likelihood factory that
        returns a Gaussian serves Gaussian's methods, not Bernoulli's), or, for an
        abstract class, for a subclass."""
        cls, table = self.cls, registered()
        owners = [c for c in cls.__mro__ if c in table]
        if not owners and abstract_methods(cls):
            factory = factory_for(cls, table)
            owners = [] if factory is None else [None]
        for owner in owners:
            factory = table[owner] if owner is not None else factory_for(cls, table)
            assert factory is not None
            try:
                instance = call_factory(factory, user)
            except Exception as e:
                raise Skip(
                    f"the factory registered for {(owner or cls).__qualname__} raised "
                    f"{type(e).__name__}: {e}"
                ) from None
            if owner is cls or owner is None or isinstance(instance, cls):
                return instance
        return None

    def _method_sizes(self, user: Mapping[str, int], seed: int) -> dict[str, int]:
        try:
            subject = make_subject(getattr(self.cls, self.name), require_arrays=False)
            return AxisSet.for_subject(subject).draw(np.random.default_rng(seed), user=user).single
        except Exception:
            return {}

    def _on_a_concrete_subclass(
        self, user: Mapping[str, int], seed: int
    ) -> tuple[Any, dict[str, Any], bool]:
        """A method an abstract class implements runs on an instance of a concrete
        subclass that inherits it (the first one that can be built)."""
        cls, name = self.cls, self.name
        abstract = f"{cls.__qualname__} is abstract ({', '.join(sorted(abstract_methods(cls)))})"
        own = vars(cls)[name]
        if getattr(own, "__isabstractmethod__", False):
            raise Skip(f"{abstract} and {name} is one of its abstract methods")
        heirs = [
            sub
            for sub in subclasses(cls)
            if not abstract_methods(sub) and inspect.getattr_static(sub, name, None) is own
        ]
        reasons = []
        for sub in heirs[:8]:
            try:
                instance, sizes, guess = construct(sub, user, seed)
            except Skip as e:
                reasons.append(f"{sub.__qualname__}: {e}")
                continue
            return self._bind(instance), {**sizes, **user}, guess
        if not heirs:
            raise Skip(f"{abstract}, and no concrete subclass inherits {name}")
        raise Skip(
            f"{abstract}, and no concrete subclass that inherits {name} could be built "
            f"({'; '.join(reasons[:2])})"
        )
