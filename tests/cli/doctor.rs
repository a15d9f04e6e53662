//! `doctor` on loopback only: TLS servers with a CA made here (rcgen) and one
//! made with the `openssl` CLI, tinyproxy as a CONNECT proxy with and without
//! Basic auth, a proxy that refuses CONNECT, mitmproxy intercepting TLS, a DNS
//! responder of the test's own, and a name that does not resolve.

use crate::common;

use std::net::IpAddr;

use common::dns::Responder;
use common::mitm::Mitm;
use common::proxy::{Doorman, Tinyproxy};
use common::server::{Reply, TestPki, TestServer};
use common::{Run, beacon, run};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    ok: bool,
    beacon_url: String,
    beacon_url_from: String,
    published_egress_list: String,
    published_egress_ips: Vec<String>,
    targets: Vec<Target>,
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Target {
    role: String,
    url: String,
    http_url: String,
    proxy: Option<String>,
    proxy_from: String,
    connect_host: String,
    a: Vec<IpAddr>,
    aaaa: Vec<IpAddr>,
    resolver: String,
    tls: Option<Tls>,
    http_status: Option<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tls {
    version: String,
    cipher: String,
    sni: Option<String>,
    chain: Vec<Cert>,
    public_ca: bool,
    trusted_by_cacert: Option<bool>,
    intercepted: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cert {
    subject: String,
    issuer: String,
    not_after: String,
    days_left: i64,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Step {
    target: String,
    name: String,
    status: String,
    elapsed_ms: u64,
    detail: String,
    hint: Option<String>,
    fault: Option<String>,
}

impl Step {
    /// Asserts that the step failed with this kind of fault.
    fn assert_failed(&self, fault: &str) {
        assert_eq!(
            (self.status.as_str(), self.fault.as_deref()),
            ("fail", Some(fault)),
            "{self:?}"
        );
    }
}

impl Report {
    fn names(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.name.as_str()).collect()
    }

    fn step(&self, name: &str) -> &Step {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no step {name} in {:?}", self.names()))
    }

    fn tls(&self) -> &Tls {
        self.targets[0].tls.as_ref().expect("a TLS step")
    }
}

fn doctor(dir: &std::path::Path, args: &[&str]) -> (Run, Report) {
    doctor_env(dir, args, &[])
}

/// `doctor -o json` with these variables set, its report parsed.
fn doctor_env(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Run, Report) {
    let mut cmd = beacon(dir);
    cmd.args(["doctor", "-o", "json", "--timeout", "20"])
        .args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = run(cmd);
    let report: Report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\nstdout: {}\nstderr: {}", out.stdout, out.stderr));
    (out, report)
}

fn write_ca(dir: &std::path::Path, pem: &str) -> String {
    let path = dir.join("ca.pem");
    std::fs::write(&path, pem).unwrap();
    path.to_str().unwrap().to_string()
}

/// A TLS server for `pki` answering 405, and its CA written to a file.
fn tls_server(dir: &std::path::Path, pki: &TestPki) -> (TestServer, String) {
    let server = TestServer::start_tls(pki.server.clone(), answering());
    (server, write_ca(dir, &pki.ca_pem))
}

/// A TLS server for `name` (resolved with --resolve to 127.0.0.1), with its
/// CA given: the arguments that point doctor at it.
fn named_tls(dir: &std::path::Path, name: &str) -> (TestServer, Vec<String>) {
    let pki = TestPki::for_names(&[name]);
    let (server, ca) = tls_server(dir, &pki);
    let url = format!("https://{name}:{}", server.addr.port());
    let args = [
        "--url",
        &url,
        "--resolve",
        &format!("{name}:127.0.0.1"),
        "--cacert",
        &ca,
    ];
    (server, args.map(str::to_string).to_vec())
}

fn answering() -> impl Fn(usize, &common::server::Recorded) -> Reply + Send + Sync + 'static {
    |_, _| Reply::status(405)
}

#[test]
fn a_tls_server_with_a_generated_ca_passes_every_step_with_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (server, args) = named_tls(dir.path(), "beacon.test");
    let url = format!("https://beacon.test:{}", server.addr.port());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, report) = doctor(dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(report.ok);
    assert_eq!(
        report.names(),
        ["resolve", "connect", "proxy", "tls", "http"]
    );
    assert!(
        report
            .steps
            .iter()
            .all(|s| s.status == "ok" && s.target == "beacon")
    );
    assert_eq!(report.beacon_url_from, "--url");
    let target = &report.targets[0];
    assert_eq!(target.a, ["127.0.0.1".parse::<IpAddr>().unwrap()]);
    assert_eq!(target.resolver, "--resolve");
    assert_eq!(
        (target.role.as_str(), target.url.as_str()),
        ("beacon", format!("{url}/").as_str())
    );
    assert_eq!(target.http_url, format!("{url}/v1/beacon/verify"));
    assert_eq!(target.http_status, Some(405));
    let tls = report.tls();
    assert_eq!(tls.sni.as_deref(), Some("beacon.test"));
    assert!(tls.version.starts_with("TLS 1."), "{}", tls.version);
    assert!(
        tls.chain[0].issuer.contains("beacon-cli test CA"),
        "{:?}",
        tls.chain
    );
    assert!(tls.chain[0].days_left > 0);
    assert!(
        tls.chain[0].not_after.ends_with('Z'),
        "{}",
        tls.chain[0].not_after
    );
    assert!(tls.cipher.starts_with("TLS"), "{}", tls.cipher);
    assert!(!tls.public_ca);
    assert_eq!(tls.trusted_by_cacert, Some(true));
    assert!(!tls.intercepted);
    // The HTTP step proves the path with a GET: no body, no license.
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/v1/beacon/verify")
    );
    assert!(seen[0].body.is_empty());
}

#[test]
fn without_its_ca_the_tls_step_fails_with_exit_6_and_names_the_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let server = TestServer::start_tls(pki.server.clone(), answering());
    let (out, report) = doctor(dir.path(), &["--url", &server.https_url()]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(!report.ok);
    assert_eq!(report.names(), ["resolve", "connect", "proxy", "tls"]);
    let tls = report.step("tls");
    tls.assert_failed("tls");
    assert!(
        tls.detail.contains("beacon-cli test CA") && tls.detail.contains("not a public CA"),
        "{}",
        tls.detail
    );
    assert!(
        tls.hint.as_deref().unwrap().contains("config.customCa"),
        "{:?}",
        tls.hint
    );
    assert!(
        tls.hint.as_deref().unwrap().contains("--cacert"),
        "{:?}",
        tls.hint
    );
    assert!(
        out.stderr.contains("error: the `tls` step failed"),
        "{}",
        out.stderr
    );
    assert!(
        server.requests().is_empty(),
        "nothing is sent on an untrusted connection"
    );
    // --insecure reports the same chain as a warning and goes on to the HTTP step.
    let (out, report) = doctor(dir.path(), &["--url", &server.https_url(), "-k"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report.step("tls").status, "warn");
    assert!(report.step("tls").detail.contains("--insecure"));
    assert_eq!(report.targets[0].http_status, Some(405));
    assert!(out.stderr.contains("warning: --insecure"), "{}", out.stderr);
}

#[test]
fn an_openssl_made_certificate_passes_when_given_as_users_give_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::openssl(dir.path(), &["127.0.0.1"]);
    let (server, ca) = tls_server(dir.path(), &pki);
    let (out, report) = doctor(dir.path(), &["--url", &server.https_url(), "--cacert", &ca]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tls = report.tls();
    assert_eq!(tls.sni, None, "no SNI for an address");
    assert_eq!(tls.chain[0].subject, "CN=127.0.0.1");
    assert_eq!(tls.trusted_by_cacert, Some(true));
    let (out, report) = doctor(dir.path(), &["--url", &server.https_url()]);
    assert_eq!(out.code, 6);
    assert_eq!(report.step("tls").fault.as_deref(), Some("tls"));
}

#[test]
fn a_dns_server_answers_and_a_name_that_does_not_resolve_fails_with_exit_6() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(answering());
    let dns = Responder::start(&[
        ("beacon.test", "127.0.0.1".parse().unwrap()),
        ("beacon.test", "::1".parse().unwrap()),
    ]);
    let url = format!("http://beacon.test:{}", server.addr.port());
    let (out, report) = doctor(dir.path(), &["--url", &url, "--dns-server", &dns.arg()]);
    let target = &report.targets[0];
    assert_eq!(target.a, ["127.0.0.1".parse::<IpAddr>().unwrap()]);
    assert_eq!(target.aaaa, ["::1".parse::<IpAddr>().unwrap()]);
    assert!(
        target.resolver.starts_with("DNS server 127.0.0.1:"),
        "{}",
        target.resolver
    );
    // The server listens on IPv4 only: the IPv6 address warns, the run passes.
    let connects: Vec<&Step> = report
        .steps
        .iter()
        .filter(|s| s.name == "connect")
        .collect();
    assert_eq!(connects.len(), 2);
    assert_eq!(connects[0].status, "ok");
    assert_eq!(connects[1].status, "warn");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report.step("http").status, "ok");

    let (out, report) = doctor(
        dir.path(),
        &["--url", "https://nowhere.test", "--dns-server", &dns.arg()],
    );
    assert_eq!(out.code, 6);
    assert_eq!(report.names(), ["resolve"]);
    let resolve = report.step("resolve");
    resolve.assert_failed("dns");
    assert!(resolve.detail.contains("NXDOMAIN"), "{}", resolve.detail);
}

#[test]
fn a_dns_server_that_does_not_answer_is_a_timeout_exit_7() {
    let dir = tempfile::tempdir().unwrap();
    // A bound UDP socket that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let mut cmd = beacon(dir.path());
    cmd.args([
        "doctor",
        "-o",
        "json",
        "--timeout",
        "0.5",
        "--url",
        "https://x.test",
        "--dns-server",
        &addr,
    ]);
    let out = run(cmd);
    assert_eq!(out.code, 7, "{}", out.stderr);
    let report: Report = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report.step("resolve").fault.as_deref(), Some("timeout"));
    // The step waited for --timeout, and no longer.
    let waited = report.step("resolve").elapsed_ms;
    assert!((400..5_000).contains(&waited), "{waited} ms");
}

#[test]
fn langchain_addresses_are_compared_with_the_published_list() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, args) = named_tls(dir.path(), "beacon.langchain.com");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, report) = doctor(dir.path(), &args);
    assert_eq!(
        report.names(),
        ["resolve", "egress-ips", "connect", "proxy", "tls", "http"]
    );
    let egress = report.step("egress-ips");
    assert_eq!(egress.status, "warn");
    assert!(
        egress
            .detail
            .starts_with("127.0.0.1 of `beacon.langchain.com`"),
        "{}",
        egress.detail
    );
    assert!(
        report
            .published_egress_ips
            .contains(&"34.8.121.39".to_string())
    );
    assert!(report.published_egress_list.contains("2026"));
    // LangChain's chain is a public CA's: one of --cacert's is a TLS-inspecting proxy's.
    let tls = report.tls();
    assert!(tls.intercepted);
    assert_eq!(report.step("tls").status, "warn");
    assert!(
        report
            .step("tls")
            .hint
            .as_deref()
            .unwrap()
            .contains("config.customCa")
    );
    // Warnings do not fail the run.
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(report.ok);
}

#[test]
fn through_tinyproxy_connect_works_and_the_step_says_which_variable_chose_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let (server, ca) = tls_server(dir.path(), &pki);
    let proxy = Tinyproxy::start(None);
    let url = server.https_url();
    let args = ["--url", &url, "--cacert", &ca];
    let (out, report) = doctor_env(dir.path(), &args, &[("HTTPS_PROXY", &proxy.url())]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let target = &report.targets[0];
    assert_eq!(target.proxy.as_deref(), Some(proxy.url().as_str()));
    assert!(
        target.proxy_from.contains("HTTPS_PROXY"),
        "{}",
        target.proxy_from
    );
    let step = report.step("proxy");
    assert_eq!(step.status, "ok");
    assert!(
        step.detail
            .contains(&format!("CONNECT 127.0.0.1:{}", server.addr.port())),
        "{}",
        step.detail
    );
    assert!(step.detail.contains("200"), "{}", step.detail);
    assert!(
        !report.tls().intercepted,
        "a chain of the bundle given is the server's own"
    );
    assert_eq!(target.http_status, Some(405));
    assert!(proxy.log().contains("CONNECT"), "{}", proxy.log());

    // NO_PROXY that matches: direct, and the step says why.
    let (out, report) = doctor_env(
        dir.path(),
        &args,
        &[("HTTPS_PROXY", &proxy.url()), ("NO_PROXY", "127.0.0.1")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report.targets[0].proxy, None);
    assert!(
        report.step("proxy").detail.contains("NO_PROXY `127.0.0.1`"),
        "{}",
        report.step("proxy").detail
    );
}

#[test]
fn tinyproxy_with_basic_auth_answers_407_and_the_password_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let (server, ca) = tls_server(dir.path(), &pki);
    let password = "CANARY-proxy-pw-5150";
    let proxy = Tinyproxy::start(Some(("doc", password)));
    let url = server.https_url();
    let wrong = format!("http://doc:CANARY-wrong-pw-77@127.0.0.1:{}", proxy.port);
    for (proxy_url, says) in [
        (
            proxy.url(),
            "407 Proxy Authentication Required: it asks for `Basic` credentials; none were given",
        ),
        (wrong, "it refused the credentials given"),
    ] {
        let (out, report) = doctor(
            dir.path(),
            &["--url", &url, "--cacert", &ca, "--proxy", &proxy_url],
        );
        assert_eq!(out.code, 6, "{}", out.stderr);
        let step = report.step("proxy");
        step.assert_failed("proxy");
        assert!(step.detail.contains(says), "{}", step.detail);
    }

    let right = format!("http://doc:{password}@127.0.0.1:{}", proxy.port);
    for format in ["json", "table", "yaml"] {
        let mut cmd = beacon(dir.path());
        cmd.args([
            "doctor",
            "-o",
            format,
            "-v",
            "--url",
            &server.https_url(),
            "--cacert",
            &ca,
            "--proxy",
            &right,
        ]);
        let out = run(cmd);
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        assert!(out.stdout.contains("127.0.0.1"), "{}", out.stdout);
    }
}

#[test]
fn a_proxy_that_refuses_connect_fails_the_proxy_step() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = Doorman::start();
    let (out, report) = doctor(dir.path(), &["--proxy", &proxy.url()]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert_eq!(proxy.seen(), ["CONNECT beacon.langchain.com:443 HTTP/1.1"]);
    let step = report.step("proxy");
    assert_eq!(step.fault.as_deref(), Some("proxy"));
    assert!(step.detail.contains("403"), "{}", step.detail);
    // Through a proxy, the proxy's own host is resolved and connected to.
    assert_eq!(report.targets[0].connect_host, "127.0.0.1");
    assert_eq!(report.names(), ["resolve", "connect", "proxy"]);
}

#[test]
fn mitmproxy_intercepting_tls_is_detected_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let (server, ca) = tls_server(dir.path(), &pki);
    let mitm = Mitm::start();
    // With the server's own CA, the chain the proxy presents is neither public nor it.
    let (out, report) = doctor(
        dir.path(),
        &[
            "--url",
            &server.https_url(),
            "--cacert",
            &ca,
            "--proxy",
            &mitm.url(),
        ],
    );
    assert_eq!(out.code, 6, "{}", out.stderr);
    let tls = report.tls();
    assert!(tls.intercepted);
    assert!(tls.chain[0].issuer.contains("mitmproxy"), "{:?}", tls.chain);
    let step = report.step("tls");
    assert!(step.detail.contains("intercepts TLS"), "{}", step.detail);
    assert!(step.hint.as_deref().unwrap().contains("config.customCa"));
    assert_eq!(report.step("proxy").status, "ok");
    // With mitmproxy's CA, the path works, and the chain is still its own.
    let mitm_ca = mitm.ca.to_str().unwrap();
    let (out, report) = doctor(
        dir.path(),
        &[
            "--url",
            &server.https_url(),
            "--cacert",
            mitm_ca,
            "--proxy",
            &mitm.url(),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report.tls().trusted_by_cacert, Some(true));
    assert!(report.tls().chain[0].issuer.contains("mitmproxy"));
    assert_eq!(report.targets[0].http_status, Some(405));
}

#[test]
fn the_table_shows_every_step_with_its_status_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(answering());
    let mut cmd = beacon(dir.path());
    cmd.args(["doctor", "--url", &server.url()])
        .env("COLUMNS", "200");
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for word in [
        "resolve",
        "connect",
        "proxy",
        "http",
        "OK",
        "every step works",
    ] {
        assert!(out.stdout.contains(word), "{word}:\n{}", out.stdout);
    }
}

#[test]
fn the_values_give_the_url_and_the_pods_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = Doorman::start();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        format!(
            "commonEnv:\n  - name: BEACON_ENDPOINT\n    value: https://beacon.example.test\n  - name: HTTPS_PROXY\n    value: http://pod:CANARY-pod-pw@127.0.0.1:{}\n",
            proxy.port
        ),
    )
    .unwrap();
    let (out, report) = doctor(dir.path(), &["-f", values.to_str().unwrap()]);
    assert_eq!(out.code, 6);
    assert_eq!(report.beacon_url, "https://beacon.example.test/");
    assert!(
        report.targets[0]
            .proxy_from
            .contains("commonEnv HTTPS_PROXY"),
        "{}",
        report.targets[0].proxy_from
    );
    assert_eq!(proxy.seen(), ["CONNECT beacon.example.test:443 HTTP/1.1"]);
}

#[test]
fn plain_http_goes_through_the_proxy_forwarded_and_socks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(answering());
    let proxy = Tinyproxy::start(None);
    let (out, report) = doctor(
        dir.path(),
        &["--url", &server.url(), "--proxy", &proxy.url()],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let step = report.step("proxy");
    assert!(
        step.detail.contains("forwarded, without CONNECT"),
        "{}",
        step.detail
    );
    assert_eq!(report.targets[0].http_status, Some(405));
    assert_eq!(server.requests()[0].path, "/v1/beacon/verify");

    let socks = format!("socks5://127.0.0.1:{}", proxy.port);
    let (out, report) = doctor(dir.path(), &["--url", &server.url(), "--proxy", &socks]);
    assert_eq!(out.code, 6);
    report.step("proxy").assert_failed("proxy");
}

#[test]
fn with_the_engine_on_its_url_is_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let beacon_server = TestServer::start(answering());
    let engine = TestServer::start(|_, _| Reply::status(404));
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        format!(
            "engine:\n  enabled: true\n  intelligenceBaseUrl: {}/intelligence\n",
            engine.url()
        ),
    )
    .unwrap();
    let (out, report) = doctor(
        dir.path(),
        &[
            "--url",
            &beacon_server.url(),
            "-f",
            values.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let roles: Vec<&str> = report.targets.iter().map(|t| t.role.as_str()).collect();
    assert_eq!(roles, ["beacon", "engine"]);
    assert_eq!(report.targets[1].http_status, Some(404));
    assert!(
        report
            .steps
            .iter()
            .any(|s| s.target == "engine" && s.name == "http")
    );
    assert_eq!(engine.requests()[0].path, "/intelligence");
}

#[test]
fn an_ipv6_address_in_the_url_is_an_address_not_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::proxy::free_port();
    let url = format!("http://[::1]:{port}");
    let (out, report) = doctor(dir.path(), &["--url", &url]);
    assert_eq!(out.code, 6, "{}", out.stderr);
    let target = &report.targets[0];
    assert_eq!(target.aaaa, ["::1".parse::<IpAddr>().unwrap()]);
    assert!(
        target.resolver.contains("nothing to resolve"),
        "{}",
        target.resolver
    );
    assert_eq!(report.step("connect").status, "fail");
}

#[test]
fn the_environment_proxy_beats_the_values_as_the_beacon_url_does() {
    let dir = tempfile::tempdir().unwrap();
    let (pods, here) = (Doorman::start(), Doorman::start());
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        format!(
            "commonEnv:\n  - name: HTTPS_PROXY\n    value: {}\n",
            pods.url()
        ),
    )
    .unwrap();
    let args = ["-f", values.to_str().unwrap()];
    let (out, report) = doctor_env(dir.path(), &args, &[("https_proxy", &here.url())]);
    assert_eq!(out.code, 6);
    assert!(pods.seen().is_empty());
    assert_eq!(here.seen(), ["CONNECT beacon.langchain.com:443 HTTP/1.1"]);
    assert_eq!(
        report.targets[0].proxy_from,
        "`https_proxy` in the environment"
    );
    // --no-proxy beats both: the pods' proxy is not used either.
    let (_, report) = doctor(
        dir.path(),
        &[
            "-f",
            values.to_str().unwrap(),
            "--no-proxy",
            "--resolve",
            "beacon.langchain.com:127.0.0.1",
            "--connect-timeout",
            "1",
        ],
    );
    assert_eq!(report.targets[0].proxy, None);
    assert!(pods.seen().is_empty());
}
