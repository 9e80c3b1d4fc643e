//! Who and what the organisation is made of: engineers in two teams, the repositories
//! each team owns, the Jira projects, and the Pulse project that groups them.

use std::collections::BTreeMap;
use std::ops::Range;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::scale::Sizes;
use crate::ids::{JiraProjectKey, ProjectName, RepoName};
use crate::model::{JiraProject, Project, RecordSource, Repository};

pub(crate) const OWNER: &str = "acme";
pub(crate) const PROJECT: &str = "checkout";
/// Team name and the Jira project its work is tracked in.
const TEAMS: [(&str, &str); 2] = [("payments", "PAY"), ("platform", "CHK")];
/// Dependency bots that open PRs.
pub(crate) const PR_BOTS: [&str; 2] = ["dependabot[bot]", "renovate[bot]"];
/// Posts preview links on PRs and release commits on main. Its login has no `[bot]`
/// suffix, so only the project's bot list tells the metrics it is not a reviewer.
pub(crate) const DEPLOY_BOT: &str = "deploy-bot";

const NAMES: [&str; 40] = [
    "ada",
    "grace",
    "linus",
    "margaret",
    "ken",
    "barbara",
    "dennis",
    "frances",
    "alan",
    "radia",
    "edsger",
    "hedy",
    "john",
    "katherine",
    "donald",
    "adele",
    "bjarne",
    "sophie",
    "guido",
    "anita",
    "james",
    "lynn",
    "niklaus",
    "jean",
    "tim",
    "shafi",
    "brian",
    "mary",
    "robin",
    "joan",
    "larry",
    "ruth",
    "peter",
    "annie",
    "vint",
    "susan",
    "leslie",
    "carol",
    "dan",
    "lisa",
];

/// Repository names when there are only a few (the small scale).
const FEW_REPOS: [&str; 3] = ["checkout-api", "platform-gateway", "payments-worker"];
/// Stems of numbered repository names when there are many.
const STEMS: [&str; 10] =
    ["checkout", "payments", "ledger", "billing", "catalog", "search", "identity", "gateway", "notify", "inventory"];

pub(crate) struct RepoInfo {
    pub(crate) name: RepoName,
    /// The owning team; most PRs come from its members.
    pub(crate) team: usize,
}

impl RepoInfo {
    /// The name without the owner, for titles.
    pub(crate) fn short(&self) -> &str {
        self.name.as_str().split_once('/').map_or(self.name.as_str(), |(_, name)| name)
    }
}

pub(crate) struct Roster {
    /// Every engineer's login; team `t`'s are `logins[members[t]]`.
    pub(crate) logins: Vec<String>,
    members: [Range<usize>; 2],
    pub(crate) repos: Vec<RepoInfo>,
    /// Each team's Jira project.
    pub(crate) jira_keys: [JiraProjectKey; 2],
}

impl Roster {
    pub(crate) fn new(sizes: &Sizes) -> Self {
        let per_team = sizes.engineers_per_team;
        let logins = (0..2 * per_team).map(login).collect();
        let repos = (0..sizes.repos)
            .map(|r| {
                let short = if sizes.repos <= FEW_REPOS.len() {
                    FEW_REPOS[r].to_owned()
                } else {
                    format!("{}-{r:03}", STEMS[r % STEMS.len()])
                };
                let name = RepoName::parse(&format!("{OWNER}/{short}")).expect("generated names are owner/name");
                RepoInfo { name, team: r % 2 }
            })
            .collect();
        let jira_keys = TEAMS.map(|(_, key)| JiraProjectKey::parse(key).expect("constant keys are valid"));
        Self { logins, members: [0..per_team, per_team..2 * per_team], repos, jira_keys }
    }

    /// Indices (into `logins`) of team `team`'s members.
    pub(crate) fn members(&self, team: usize) -> Range<usize> {
        self.members[team].clone()
    }

    /// A random member of `team`.
    pub(crate) fn member(&self, rng: &mut ChaCha8Rng, team: usize) -> usize {
        let members = self.members(team);
        members.start + rng.random_range(0..members.len())
    }

    /// A random member of `team` other than `not` (any member when `not` is elsewhere).
    pub(crate) fn teammate(&self, rng: &mut ChaCha8Rng, team: usize, not: Option<usize>) -> usize {
        let members = self.members(team);
        match not {
            Some(author) if members.contains(&author) => {
                // Draw from the others by skipping the author's slot.
                let i = members.start + rng.random_range(0..members.len() - 1);
                if i >= author { i + 1 } else { i }
            }
            _ => self.member(rng, team),
        }
    }

    pub(crate) fn repositories(&self) -> Vec<Repository> {
        self.repos
            .iter()
            .map(|r| Repository {
                name: r.name.clone(),
                default_branch: "main".to_owned(),
                source: RecordSource::Import,
            })
            .collect()
    }

    /// The Jira projects, sorted by key. They carry no name: the import format has no
    /// field for one, and generated rows must equal imported ones.
    pub(crate) fn jira_projects(&self) -> Vec<JiraProject> {
        let mut keys = self.jira_keys.to_vec();
        keys.sort();
        keys.into_iter().map(|key| JiraProject { key, name: None, source: RecordSource::Import }).collect()
    }

    /// The one project: every repository, both Jira projects, the two teams.
    pub(crate) fn project(&self) -> Project {
        let mut project = Project::new(ProjectName::parse(PROJECT).expect("constant name is valid"));
        project.repos = self.repos.iter().map(|r| r.name.clone()).collect();
        project.repos.sort();
        project.jira_projects = self.jira_projects().into_iter().map(|p| p.key).collect();
        project.rules.bots = vec![DEPLOY_BOT.to_owned()];
        project.teams = TEAMS
            .iter()
            .enumerate()
            .map(|(t, (team, _))| {
                let mut logins: Vec<String> = self.logins[self.members(t)].to_vec();
                logins.sort();
                ((*team).to_owned(), logins)
            })
            .collect::<BTreeMap<_, _>>();
        project
    }
}

/// A unique login for engineer `i`: a name, numbered once the names run out.
fn login(i: usize) -> String {
    let name = NAMES[i % NAMES.len()];
    match i / NAMES.len() {
        0 => name.to_owned(),
        round => format!("{name}-{}", round + 1),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;

    use super::*;
    use crate::generate::Scale;

    #[test]
    fn logins_and_repos_are_unique_at_large_scale() {
        let roster = Roster::new(&Scale::Large.sizes());
        assert_eq!(roster.logins.len(), 200);
        assert_eq!(roster.logins.iter().collect::<HashSet<_>>().len(), 200);
        assert_eq!(roster.logins[40], "ada-2");
        assert_eq!(roster.repos.iter().map(|r| &r.name).collect::<HashSet<_>>().len(), 200);
        assert_eq!(roster.repos[13].name.as_str(), "acme/billing-013");
    }

    #[test]
    fn project_lists_everything() {
        let roster = Roster::new(&Scale::Small.sizes());
        let project = roster.project();
        assert_eq!(project.name.as_str(), "checkout");
        assert_eq!(
            project.repos.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            ["acme/checkout-api", "acme/payments-worker", "acme/platform-gateway"]
        );
        assert_eq!(project.jira_projects.iter().map(|k| k.as_str()).collect::<Vec<_>>(), ["CHK", "PAY"]);
        assert_eq!(project.teams.keys().collect::<Vec<_>>(), ["payments", "platform"]);
        assert_eq!(project.teams["payments"].len(), 5);
        assert!(project.rules.bots.contains(&"deploy-bot".to_owned()));
    }

    #[test]
    fn teammate_is_never_the_author() {
        let roster = Roster::new(&Scale::Small.sizes());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for author in roster.members(1) {
            for _ in 0..50 {
                let other = roster.teammate(&mut rng, 1, Some(author));
                assert_ne!(other, author);
                assert!(roster.members(1).contains(&other));
            }
        }
        // An author from the other team may get any member.
        let any: HashSet<usize> = (0..200).map(|_| roster.teammate(&mut rng, 1, Some(0))).collect();
        assert_eq!(any.len(), 5);
    }
}
