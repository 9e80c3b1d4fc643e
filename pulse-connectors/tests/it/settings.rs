//! Settings an integration leaves unset come from the project of its repository; the ones
//! it sets stay, even when they equal the default.

use pulse_connectors::github::{GithubSettings, stream};
use pulse_connectors::integration::{self, ConnectOptions, add_github};
use pulse_connectors::{SecretKey, Sync};
use pulse_core::ids::{ProjectName, RepoName};
use pulse_core::model::Project;
use pulse_core::on_both_backends;
use pulse_core::testing::TestDb;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

on_both_backends!(an_unset_incident_label_is_the_projects_and_a_set_one_stays);

async fn an_unset_incident_label_is_the_projects_and_a_set_one_stays(db: TestDb) {
    let acme = db.client("acme").await;
    let (api, web) = (RepoName::parse("acme/api").unwrap(), RepoName::parse("acme/web").unwrap());
    let mut project = Project::new(ProjectName::parse("checkout").unwrap());
    project.repos = vec![api.clone(), web.clone()];
    project.rules.incident_label = "sev".into();
    acme.upsert_project(&project).await.unwrap();

    let server = MockServer::start().await;
    for (repo, label) in [("acme/api", "sev"), ("acme/web", "incident")] {
        Mock::given(method("GET"))
            .and(path(format!("/repos/{repo}/issues")))
            .and(query_param("labels", label))
            .respond_with(ResponseTemplate::new(200).set_body_raw("[]", "application/json"))
            .expect(1)
            .mount(&server)
            .await;
    }
    let key = SecretKey::generate();
    let unset = GithubSettings::new(api);
    let mut explicit = GithubSettings::new(web);
    explicit.incident_label = Some("incident".into());
    for settings in [unset, explicit] {
        let stored = add_github(&acme, &key, &server.uri(), &settings, "ghp_settings").await.unwrap();
        let connector = integration::connector(&acme, &stored, &key, &ConnectOptions::default()).await.unwrap();
        // A label other than the expected one finds no mock (404) and fails the sync.
        Sync::new(&acme, connector.as_ref()).stream(stream::INCIDENTS).execute().await.unwrap();
    }
    server.verify().await;
}
