"""dive's efficiency, wasted bytes and user wasted share of an image archive, computed the way
dive's Go code does (filetree.Efficiency and image.Analyze, dive 0.12), from the layer tars
with Python's tarfile: an implementation independent of Strata's, for its tests.

usage: dive_formula.py ARCHIVE     prints {"efficiency", "wasted_bytes", "user_wasted_percent"}

ARCHIVE: a docker-archive (manifest.json) or an OCI archive (index.json) with gzip or plain
layers.
"""
import io, json, math, sys, tarfile

WH, WH_DOUBLE = ".wh.", ".wh..wh."


def layers_of(path):
    outer = tarfile.open(path)
    members = {m.name[2:] if m.name.startswith("./") else m.name: m for m in outer}
    names = list(members)
    def read(name):
        return outer.extractfile(members[name]).read()
    if "manifest.json" in names and "index.json" not in names:
        manifest = json.loads(read("manifest.json"))[0]
        return [read(l) for l in manifest["Layers"]]
    index = json.loads(read("index.json"))
    digest = index["manifests"][0]["digest"].split(":")[1]
    m = json.loads(read(f"blobs/sha256/{digest}"))
    return [read("blobs/sha256/" + l["digest"].split(":")[1]) for l in m["layers"]]


class Node:
    def __init__(self, name, parent, info=None):
        self.name, self.parent, self.children = name, parent, {}
        # info: (size, is_dir); an intermediate node has none (dive's empty FileInfo)
        self.info = info or (0, False)

    def path(self):
        parts, n = [], self
        while n.parent is not None:
            name = n.name[len(WH):] if (n is self and n.name.startswith(WH)) else n.name
            parts.insert(0, name)
            n = n.parent
        return "/" + "/".join(parts)

    def whiteout(self):
        return self.name.startswith(WH)

    def visit_child_first(self, fn, only_leaves, root):
        for k in sorted(self.children):
            if self.children[k].visit_child_first(fn, only_leaves, root) is False:
                return False
        if self is root:
            return True
        if not only_leaves or not self.children:
            return fn(self)
        return True


class Tree:
    def __init__(self):
        self.root = Node("", None)
        self.file_size = 0

    def add(self, name, info):
        parts = [p for p in name.split("/") if p not in ("", ".")]
        node = self.root
        for i, part in enumerate(parts):
            if part in node.children:
                node = node.children[part]
            else:
                if part.startswith(WH_DOUBLE):
                    return
                node.children[part] = Node(part, node)
                node = node.children[part]
            if i == len(parts) - 1:
                node.info = info
        self.file_size += info[0]

    def get(self, path):
        node = self.root
        for part in [p for p in path.split("/") if p]:
            if part not in node.children:
                return None
            node = node.children[part]
        return node

    def copy(self):
        t = Tree()
        def cp(src, dst):
            for k, c in src.children.items():
                n = Node(c.name, dst, c.info)
                dst.children[k] = n
                cp(c, n)
        cp(self.root, t.root)
        return t


def tree_of(blob):
    t = Tree()
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as tf:
        for m in tf:
            size = m.size if m.isreg() else 0
            t.add(m.name, (size, m.isdir()))
    return t


def stack(trees):
    """dive's StackTreeRange: lower layers merged, whiteouts removing."""
    out = Tree()
    for t in trees:
        def apply(node):
            if node is t.root:
                return
            p = node.path()
            if node.whiteout():
                target = out.get(p)
                if target is not None:
                    del target.parent.children[target.name]
            else:
                parts = [x for x in p.split("/") if x]
                cur = out.root
                for part in parts[:-1]:
                    cur = cur.children.setdefault(part, Node(part, cur))
                existing = cur.children.get(parts[-1])
                if existing:
                    existing.info = node.info
                else:
                    cur.children[parts[-1]] = Node(parts[-1], cur, node.info)
        def parent_first(node):
            apply(node)
            for k in sorted(node.children):
                parent_first(node.children[k])
        parent_first(t.root)
    return out


def analyse(path):
    trees = [tree_of(b) for b in layers_of(path)]
    data = {}  # path -> [cumulative, min, count]
    for idx, tree in enumerate(trees):
        def visitor(node):
            p = node.path()
            if node.whiteout():
                prev = stack(trees[:idx]).get(p)
                if prev is None:
                    return False  # dive: the visit of this layer stops
                size = 0
                if prev.info[1]:
                    acc = []
                    prev.visit_child_first(lambda n: acc.append(n.info[0]), False, None)
                    size = sum(acc)
            else:
                size = node.info[0]
            d = data.setdefault(p, [0, None, 0])
            d[0] += size
            d[1] = size if d[1] is None else min(d[1], size)
            d[2] += 1
            return True
        tree.root.visit_child_first(visitor, True, tree.root)
    minimum = sum(d[1] for d in data.values())
    discovered = sum(d[0] for d in data.values())
    wasted = sum(d[0] for d in data.values() if d[2] >= 2)
    user = sum(t.file_size for t in trees[1:])
    return {
        "efficiency": 1.0 if discovered == 0 else minimum / discovered,
        "wasted_bytes": wasted,
        "user_wasted_percent": (wasted / user) if user else None,
    }


if __name__ == "__main__":
    print(json.dumps(analyse(sys.argv[1])))
