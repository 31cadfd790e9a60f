"""Keeping large graphs readable: beyond a node budget, parts of the graph are folded into
summary nodes, in this order, each only while the graph is still too large:
  1. array constants are hidden;
  2. chains (each op feeding only the next, which has no other input) become one node;
  3. every top-level user scope becomes one node per flow;
  4. what remains is cut, in tape order, into consecutive blocks.
Every fold is reported in `model.notes`, and a summary node counts the ops inside it.

Graphviz's `dot` lays out an edge spanning k ranks as k virtual nodes, and its work grows faster
than their number: a node feeding every step of a loop, or a reverse sweep reading the forward
values, can make 120 nodes take minutes. So the folding also keeps the total edge span (for a
layering as good as dot's or better) within SPAN_PER_NODE * max_nodes, folding further (fewer
nodes, so fewer ranks) until it does: Graphviz's work is bounded by construction."""
from collections import Counter, defaultdict

from .record import GraphModel, GraphNode

SPAN_PER_NODE = 20  # virtual nodes dot may need, per node of the node budget


def collapse(model, max_nodes):
    """The model folded to at most max_nodes nodes and a bounded total edge span."""
    budget = SPAN_PER_NODE * max_nodes
    stages = _stages(model)
    folded, blocked = _fold_to(stages, max_nodes)
    notes, limit = list(folded.notes), max_nodes
    while edge_span(folded) > budget and limit > 4:
        limit = max(4, int(limit * 0.7))
        if blocked:  # coarser blocks of the blocks: consecutive in tape order still
            folded = _fold_blocks(folded, limit)
        else:
            folded, blocked = _fold_to(stages, limit)
            notes = list(folded.notes)
    if limit < max_nodes:
        folded = _without(folded, set())
        folded.notes = notes + [f"folded further to {len(folded.nodes)} nodes to keep "
                                "Graphviz's layout fast (a larger max_nodes allows more)"]
    return folded


def merge_calls(model):
    """Each NumPy-level call (anp.mean as sum and divide, x @ w with a vector w as reshape,
    matmul, reshape, np.prod as its tree of products) and each derivative of one becomes one
    node named after it, per flow: the picture shows the user's operations, not how the
    library builds them. The node lists the operations inside."""
    calls = [n for n in model.nodes.values() if n.kind == "op" and n.call is not None]
    shared = Counter(n.call[0] for n in calls)
    assign = {n.id: (n.call[0], n.flow, n.scope) for n in calls if shared[n.call[0]] > 1}
    if not assign:
        return model
    used_inside = {src for src, dst, _ in model.edges
                   if src in assign and assign[src] == assign.get(dst)}

    def call_node(key, nodes):
        node = _summary(key, nodes)
        shown = _call_result(nodes, used_inside)
        node.kind, node.op, node.label = "op", shown.call[1], shown.call[1]
        node.shape, node.dtype, node.value = shown.shape, shown.dtype, shown.value
        node.grad, node.call = shown.grad, shown.call
        return node
    return _quotient(model, assign, "call", None, call_node)


def _call_result(nodes, used_inside):
    """The member whose value the node shows: the call's last step, unless the call left
    several results (in an HVP, np.sin on a dual number also computes cos for the tangent):
    then the one its own primitive computed (sin), not a derivative's helper (cos)."""
    last = max(nodes, key=lambda n: n.order)
    results = [n for n in nodes if n.id not in used_inside]
    own = [n for n in results if n.op == last.call[1]]
    return max(own, key=lambda n: n.order) if len(results) > 1 and own else last


def _stages(model):
    """The model, then without array constants, then with chains and then scopes folded, each
    made only when asked for (the folds do not depend on the node budget, blocks aside)."""
    def hide_constants(model, _):
        consts = [n.id for n in model.nodes.values() if n.kind == "const"]
        out = _without(model, set(consts))
        if consts:
            out.notes.append(_count(len(consts), "constant array") + " hidden")
        return out
    folds = iter((hide_constants, _fold_chains, _fold_scopes, _fold_leaves))
    made = [model]

    def stage(k):
        while len(made) <= k:
            fold = next(folds, None)
            if fold is None:
                return None
            made.append(fold(made[-1], None))
        return made[k]
    return stage


def _fold_to(stage, max_nodes):
    """The first stage within max_nodes, else the last one cut into blocks (and whether it
    was)."""
    k = 0
    while True:
        model = stage(k)
        if len(model.nodes) <= max_nodes:
            return model, False
        if stage(k + 1) is None:
            return _fold_blocks(model, max_nodes), True
        k += 1


def _count(n, thing):
    return f"{n} {thing}" + ("" if n == 1 else "s")


def edge_span(model):
    """The total rank span of the edges in a layering of the model: longest path from the
    sources, each source then moved next to its nearest consumer (a feasible layering, so dot's
    optimal one spans no more)."""
    succ, indeg = defaultdict(list), Counter()
    for src, dst, _ in model.edges:
        succ[src].append(dst)
        indeg[dst] += 1
    sources = [n for n in model.nodes if indeg[n] == 0]
    rank = dict.fromkeys(model.nodes, 0)
    ready = list(sources)
    while ready:
        n = ready.pop()
        for d in succ[n]:
            rank[d] = max(rank[d], rank[n] + 1)
            indeg[d] -= 1
            if indeg[d] == 0:
                ready.append(d)
    for n in sources:
        if succ[n]:
            rank[n] = min(rank[d] for d in succ[n]) - 1
    return sum(rank[d] - rank[s] for s, d, _ in model.edges)


def _without(model, drop):
    out = GraphModel(model.title)
    out.notes = list(model.notes)
    out.nodes = {k: v for k, v in model.nodes.items() if k not in drop}
    out.edges = [e for e in model.edges if e[0] not in drop and e[1] not in drop]
    return out


def _quotient(model, assign, what, note, summary=None):
    """Merge nodes by assign[id] -> group key; groups of several nodes become summary nodes."""
    summary = summary or _summary
    members = {}
    for nid in model.nodes:
        members.setdefault(assign.get(nid, nid), []).append(nid)
    if len(members) == len(model.nodes):
        return model  # nothing to merge
    final = {nid: (key if len(ids) > 1 else nid) for key, ids in members.items() for nid in ids}
    out = GraphModel(model.title)
    out.notes = list(model.notes)
    folded = 0
    for key, ids in members.items():
        if len(ids) == 1:
            out.nodes[ids[0]] = model.nodes[ids[0]]
            continue
        nodes = [model.nodes[i] for i in ids]
        folded += sum(n.count for n in nodes)
        out.nodes[key] = summary(key, nodes)
    edges = Counter()
    for src, dst, mult in model.edges:
        a, b = final[src], final[dst]
        if a != b:
            edges[a, b] += mult
    out.edges = [(a, b, m) for (a, b), m in edges.items()]
    if folded and note:
        out.notes.append(note(folded, _count(sum(
            1 for ids in members.values() if len(ids) > 1), what)))
    return out


def _summary(key, nodes):
    ops = Counter(n.op for n in nodes if not n.ops)  # plain ops count 1 each
    for n in nodes:
        if n.ops:
            ops.update(n.ops)
    flows = Counter(n.flow for n in nodes)
    common = nodes[0].scope
    for s in {n.scope for n in nodes}:
        k = 0
        while k < min(len(common), len(s)) and common[k] == s[k]:
            k += 1
        common = common[:k]
    last = max(nodes, key=lambda n: n.order)
    group = GraphNode(key, "group", "group", last.shape, last.dtype, last.value, common,
                      flows.most_common(1)[0][0])
    group.count = sum(ops.values())
    group.ops = ops
    group.order = min(n.order for n in nodes)
    return group


def _fold_chains(model, max_nodes):
    consumers, parents = Counter(), Counter()
    for src, dst, _ in model.edges:
        consumers[src] += 1
        parents[dst] += 1
    nexts = {}
    for src, dst, _ in model.edges:
        a, b = model.nodes[src], model.nodes[dst]
        if (a.kind in ("op", "group") and b.kind in ("op", "group") and consumers[src] == 1
                and parents[dst] == 1 and a.scope == b.scope and a.flow == b.flow):
            nexts[src] = dst
    assign = {}
    for nid in sorted(model.nodes, key=lambda i: model.nodes[i].order):
        if nid in assign or nid not in nexts:
            continue
        chain, cur = [nid], nid
        while cur in nexts:
            cur = nexts[cur]
            chain.append(cur)
        for c in chain:
            assign[c] = f"chain{nid}"
    return _quotient(model, assign, "chain", "{} ops in {} folded".format)


def _fold_scopes(model, max_nodes):
    """Every top-level scope becomes one node per flow (its forward ops, its reverse-sweep ops,
    ...): a uniform picture of the model's structure that keeps the flows' directions."""
    assign = {n.id: f"scope:{n.scope[0]}:{n.flow}" for n in model.nodes.values()
              if n.kind in ("op", "group") and n.scope}
    return _quotient(model, assign, "scope", "{} ops in {} folded".format)


def _fold_leaves(model, _):
    """The leaves of one pytree argument (Ws[0], Ws[1], ...) become one input node, and the
    outputs one output node."""
    def key(node):
        return node.label.split("[")[0] if node.kind == "input" else "output"

    def summary(k, nodes):
        first = nodes[0]
        node = GraphNode(k, first.kind, key(first), scope=first.scope, flow=first.flow,
                         label=f"{key(first)}: {len(nodes)} arrays")
        node.order = min(n.order for n in nodes)
        return node
    assign = {n.id: f"{n.kind} {key(n)}" for n in model.nodes.values()
              if n.kind in ("input", "output")}
    return _quotient(model, assign, "node", "{} inputs and outputs folded into {}".format,
                     summary)


def _fold_blocks(model, max_nodes):
    movable = sorted((n for n in model.nodes.values() if n.kind in ("op", "group")),
                     key=lambda n: n.order)
    fixed = len(model.nodes) - len(movable)
    blocks = max(1, max_nodes - fixed)
    per = -(-len(movable) // blocks)
    assign = {n.id: f"block{k // per}" for k, n in enumerate(movable)}
    return _quotient(model, assign, "block", "{} ops folded into {} in tape order".format)
