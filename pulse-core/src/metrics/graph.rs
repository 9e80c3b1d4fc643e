//! One repository's commit graph, with shas interned to dense ids so that reachability
//! is a bitset and a diff touches only the commits it returns.

use rustc_hash::FxHashMap as HashMap;

use crate::ids::Sha;
use crate::model::Commit;

/// A set of commit ids of one graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSet {
    words: Vec<u64>,
}

impl CommitSet {
    fn new(len: usize) -> Self {
        Self { words: vec![0; len.div_ceil(64)] }
    }

    pub fn contains(&self, id: u32) -> bool {
        let i = id as usize;
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn insert(&mut self, id: u32) -> bool {
        let i = id as usize;
        let word = &mut self.words[i / 64];
        let bit = 1 << (i % 64);
        let fresh = *word & bit == 0;
        *word |= bit;
        fresh
    }
}

/// The commits of one repository and their parent links.
#[derive(Debug, Clone, Default)]
pub struct CommitGraph {
    ids: HashMap<Sha, u32>,
    shas: Vec<Sha>,
    /// Parents of commit `i` are `parent_ids[parent_start[i]..parent_start[i + 1]]`, in
    /// the commit's order; parents outside the graph (incomplete history) are left out.
    parent_start: Vec<u32>,
    parent_ids: Vec<u32>,
}

/// Commits reachable from a new tip but not from an old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diff {
    /// In depth-first order from the new tip, first parents first (DevLake's
    /// `sorting_index` order).
    pub commits: Vec<u32>,
    /// Whether the old tip is an ancestor of the new one (the usual case); when it is,
    /// everything reachable from the new tip is the diff plus what the old tip reaches.
    pub old_is_ancestor: bool,
}

impl CommitGraph {
    pub fn new<'a>(commits: impl IntoIterator<Item = &'a Commit>) -> Self {
        Self::from_parents(commits.into_iter().map(|c| (&c.sha, c.parents.as_slice())))
    }

    /// Builds the graph from (sha, parents) pairs; a repeated sha keeps its first parents.
    pub fn from_parents<'a>(commits: impl IntoIterator<Item = (&'a Sha, &'a [Sha])>) -> Self {
        let mut ids = HashMap::default();
        let mut shas = Vec::new();
        let mut raw_parents: Vec<&'a [Sha]> = Vec::new();
        for (sha, parents) in commits {
            if ids.contains_key(sha) {
                continue;
            }
            ids.insert(sha.clone(), shas.len() as u32);
            shas.push(sha.clone());
            raw_parents.push(parents);
        }
        let mut parent_start = Vec::with_capacity(shas.len() + 1);
        let mut parent_ids = Vec::with_capacity(shas.len());
        parent_start.push(0);
        for parents in raw_parents {
            parent_ids.extend(parents.iter().filter_map(|p| ids.get(p).copied()));
            parent_start.push(parent_ids.len() as u32);
        }
        Self { ids, shas, parent_start, parent_ids }
    }

    pub fn len(&self) -> usize {
        self.shas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shas.is_empty()
    }

    pub fn id(&self, sha: &Sha) -> Option<u32> {
        self.ids.get(sha).copied()
    }

    pub fn sha(&self, id: u32) -> &Sha {
        &self.shas[id as usize]
    }

    fn parents(&self, id: u32) -> &[u32] {
        let i = id as usize;
        &self.parent_ids[self.parent_start[i] as usize..self.parent_start[i + 1] as usize]
    }

    /// Everything reachable from `tip`, itself included.
    pub fn reachable(&self, tip: u32) -> CommitSet {
        let mut seen = CommitSet::new(self.len());
        let mut stack = vec![tip];
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                stack.extend_from_slice(self.parents(id));
            }
        }
        seen
    }

    /// Commits reachable from `new` and not in `old_reach` (what the old tip reaches;
    /// `None` for no old tip, giving every ancestor of `new`).
    pub fn diff(&self, new: u32, old: Option<(u32, &CommitSet)>) -> Diff {
        let mut seen = CommitSet::new(self.len());
        let mut commits = Vec::new();
        let mut old_is_ancestor = false;
        let mut stack = vec![new];
        while let Some(id) = stack.pop() {
            if let Some((old_tip, old_reach)) = old
                && old_reach.contains(id)
            {
                old_is_ancestor |= id == old_tip;
                continue;
            }
            if !seen.insert(id) {
                continue;
            }
            commits.push(id);
            // Reversed so that the first parent is visited first.
            stack.extend(self.parents(id).iter().rev());
        }
        Diff { commits, old_is_ancestor }
    }

    /// What `new` reaches, given a diff against an old tip it descends from.
    pub fn reach_after(&self, old_reach: &CommitSet, diff: &Diff) -> CommitSet {
        let mut reach = old_reach.clone();
        for &id in &diff.commits {
            reach.insert(id);
        }
        reach
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> (CommitGraph, Vec<Sha>, Vec<Vec<Sha>>) {
        let shas: Vec<Sha> = edges.iter().map(|(s, _)| Sha::parse(s).unwrap()).collect();
        let parents: Vec<Vec<Sha>> =
            edges.iter().map(|(_, ps)| ps.iter().map(|p| Sha::parse(p).unwrap()).collect()).collect();
        let g = CommitGraph::from_parents(shas.iter().zip(parents.iter().map(Vec::as_slice)));
        (g, shas, parents)
    }

    fn names(g: &CommitGraph, ids: &[u32]) -> Vec<String> {
        ids.iter().map(|&i| g.sha(i).to_string()).collect()
    }

    #[test]
    fn diff_of_a_merge_walks_first_parents_first() {
        // a - b - m (merge of b and f), f's parent is a
        let (g, ..) = graph(&[("a", &[]), ("b", &["a"]), ("f", &["a"]), ("m", &["b", "f"])]);
        let m = g.id(&Sha::parse("m").unwrap()).unwrap();
        let a = g.id(&Sha::parse("a").unwrap()).unwrap();
        let all = g.diff(m, None);
        assert_eq!(names(&g, &all.commits), ["m", "b", "a", "f"]);
        let reach_a = g.reachable(a);
        let d = g.diff(m, Some((a, &reach_a)));
        assert_eq!(names(&g, &d.commits), ["m", "b", "f"]);
        assert!(d.old_is_ancestor);
        assert_eq!(g.reach_after(&reach_a, &d), g.reachable(m));
    }

    #[test]
    fn diff_against_a_non_ancestor() {
        // Two branches from a: b and c. Deploying c after b.
        let (g, ..) = graph(&[("a", &[]), ("b", &["a"]), ("c", &["a"])]);
        let b = g.id(&Sha::parse("b").unwrap()).unwrap();
        let c = g.id(&Sha::parse("c").unwrap()).unwrap();
        let d = g.diff(c, Some((b, &g.reachable(b))));
        assert_eq!(names(&g, &d.commits), ["c"]);
        assert!(!d.old_is_ancestor);
    }

    #[test]
    fn missing_parents_are_ignored() {
        let (g, ..) = graph(&[("b", &["a-not-fetched"]), ("c", &["b"])]);
        let c = g.id(&Sha::parse("c").unwrap()).unwrap();
        assert_eq!(names(&g, &g.diff(c, None).commits), ["c", "b"]);
    }
}
