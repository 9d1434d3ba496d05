"""Stripping the shape annotations of a module (for the annotate tests): every
function's parameter and return annotations that carry a shape (or are
`Annotated[...]`) are removed, and a structure field's shaped annotation
becomes a bare `Array` / `np.ndarray`."""

from __future__ import annotations

import libcst as cst


def _shaped(node: cst.BaseExpression) -> bool:
    code = cst.Module(body=[]).code_for_node(node)
    return "Annotated[" in code or '"' in code or "Array" in code or "ndarray" in code


class _Strip(cst.CSTTransformer):
    def __init__(self) -> None:
        self.depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.depth += 1

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.depth -= 1
        return updated

    def leave_Param(self, original: cst.Param, updated: cst.Param) -> cst.Param:
        if updated.annotation is not None and _shaped(updated.annotation.annotation):
            return updated.with_changes(annotation=None, equal=cst.MaybeSentinel.DEFAULT)
        return updated

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        if updated.returns is not None and _shaped(updated.returns.annotation):
            return updated.with_changes(returns=None)
        return updated

    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.AnnAssign:
        code = cst.Module(body=[]).code_for_node(updated.annotation.annotation)
        if '"' in code:
            bare = "np.ndarray" if "np.ndarray" in code else "Array"
            return updated.with_changes(annotation=cst.Annotation(cst.parse_expression(bare)))
        return updated


def strip(source: str) -> str:
    return cst.parse_module(source).visit(_Strip()).code
