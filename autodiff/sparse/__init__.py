"""autodiff.sparse: Hessian sparsity detection, symmetric coloring and sparse Hessians."""
from .coloring import Coloring, color_hessian, seed_matrix, recover, recovery_plan
from .detect import hessian_sparsity
from .hessian import SparseHessian, sparse_hessian, hessian_times_matrix

__all__ = ["hessian_sparsity", "sparse_hessian", "SparseHessian", "color_hessian",
           "seed_matrix", "recover", "recovery_plan", "hessian_times_matrix", "Coloring"]
