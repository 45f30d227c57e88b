// Init-time decisions of the plugin core: config + environment + build
// default -> mode, endpoint, opt-out cleanup; and the status/show commands.
#include "telemetry_plugin.hpp"

#include "uuid_store.hpp"
#include "support/test_support.hpp"

#include <boost/asio/post.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace ipfs_telemetry;
using test_support::temp_dir;

namespace {

struct fixture {
  temp_dir repo;
  std::map<std::string, std::string> env;
  std::vector<std::string> logs;
  ipfs_host_services services{};
  std::string default_endpoint;
  sender_factory erase_sender;  // replaces the real transport when set
  std::string facts_json =
      R"({"agent_version":"a/1/","daemon":false,"online":false,"private_network":false,"repo_size":0,"addresses":[],"reachability":"Unknown","config":{}})";

  fixture() {
    services.abi_version = IPFS_PLUGIN_ABI_VERSION;
    services.struct_size = sizeof services;
    services.host_ctx = this;
    services.log = [](void* ctx, int32_t, const char*, const char* m) { static_cast<fixture*>(ctx)->logs.emplace_back(m); };
    services.node_facts = [](void* ctx) -> char* { return strdup(static_cast<fixture*>(ctx)->facts_json.c_str()); };
    services.free_string = [](void*, char* s) { free(s); };
  }

  std::unique_ptr<telemetry_plugin> make(const char* config_json, int32_t context = IPFS_PLUGIN_CONTEXT_COMMAND) {
    auto deps = default_deps();
    deps.getenv = [this](const char* n) -> std::optional<std::string> {
      auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    deps.default_endpoint = default_endpoint;
    if (erase_sender) deps.make_sender = erase_sender;
    const std::string repo_path = repo.path().string();
    ipfs_plugin_env e{};
    e.struct_size = sizeof e;
    e.context = context;
    e.repo_path = repo_path.c_str();
    e.config_json = config_json;
    e.services = &services;
    return std::make_unique<telemetry_plugin>(e, std::move(deps));
  }

  bool logged(std::string_view needle) const {
    for (const auto& l : logs)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
  std::filesystem::path uuid_file() const { return repo.path() / "telemetry_uuid"; }
  boost::json::object status(telemetry_plugin& p) {
    auto r = p.command("status", boost::json::array{"--json"});
    BOOST_REQUIRE_EQUAL(r.status, IPFS_PLUGIN_OK);
    return boost::json::parse(r.text).as_object();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(telemetry_plugin_tests, fixture)

BOOST_AUTO_TEST_CASE(build_default_endpoint_is_used_when_config_has_none) {
  default_endpoint = "https://telemetry.example.org";
  auto p = make("null");
  BOOST_TEST(p->endpoint() == "https://telemetry.example.org/");
  BOOST_TEST(status(*p).at("endpoint_source").as_string() == "build default");
}

BOOST_AUTO_TEST_CASE(configured_endpoint_beats_the_build_default) {
  default_endpoint = "https://telemetry.example.org/";
  auto p = make(R"({"Endpoint":"http://127.0.0.1:9/"})");
  BOOST_TEST(p->endpoint() == "http://127.0.0.1:9/");
}

BOOST_AUTO_TEST_CASE(an_invalid_endpoint_never_falls_back_to_the_default) {
  default_endpoint = "https://telemetry.example.org/";
  auto p = make(R"({"Endpoint":"ftp://x/"})");
  BOOST_TEST(p->endpoint().empty());
  BOOST_TEST(status(*p).at("endpoint_source").as_string() == "invalid");
  p->start();  // daemon start with an unusable endpoint: nothing happens, no thread, no UUID
  // At start the reason is repeated, naming the key.
  BOOST_TEST(logged("telemetry: Plugins.Plugins.telemetry.Config.Endpoint: scheme \"ftp\" is not supported"));
  BOOST_TEST(logged("nothing will be sent"));
  BOOST_TEST(!std::filesystem::exists(uuid_file()));
}

BOOST_AUTO_TEST_CASE(no_endpoint_anywhere_says_so_and_writes_no_uuid) {
  auto p = make("null", IPFS_PLUGIN_CONTEXT_DAEMON);
  p->start();
  BOOST_TEST(logged("no endpoint configured"));
  BOOST_TEST(!std::filesystem::exists(uuid_file()));
}

BOOST_AUTO_TEST_CASE(explicit_opt_out_removes_the_uuid_at_init) {
  test_support::write_text(uuid_file(), "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n");
  env["IPFS_TELEMETRY"] = "off";
  auto p = make("null", IPFS_PLUGIN_CONTEXT_DAEMON);
  BOOST_TEST(logged("telemetry disabled via opt-out"));
  BOOST_TEST(logged("removed existing telemetry UUID file due to opt-out"));
  BOOST_TEST(!std::filesystem::exists(uuid_file()));
}

BOOST_AUTO_TEST_CASE(do_not_track_is_an_opt_out_too) {
  test_support::write_text(uuid_file(), "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n");
  env["DO_NOT_TRACK"] = "1";
  auto p = make(R"({"Mode":"on"})", IPFS_PLUGIN_CONTEXT_DAEMON);
  BOOST_TEST(to_string(p->mode().mode) == "off");
  BOOST_TEST(!std::filesystem::exists(uuid_file()));
}

BOOST_AUTO_TEST_CASE(commands_never_remove_the_uuid_whatever_the_opt_out) {
  const std::string id = "f81d4fae-7dec-41d0-a765-00a0c91e6bf6";
  for (const char* var : {"IPFS_TELEMETRY", "DO_NOT_TRACK"}) {
    test_support::write_text(uuid_file(), id + "\n");
    env.clear();
    env[var] = std::string(var) == "DO_NOT_TRACK" ? "1" : "off";
    auto p = make(R"({"Mode":"off","Endpoint":"http://127.0.0.1:9/"})", IPFS_PLUGIN_CONTEXT_COMMAND);
    BOOST_TEST(to_string(p->mode().mode) == "off");
    for (const char* cmd : {"status", "show"}) {
      auto r = p->command(cmd, {});
      BOOST_TEST(r.status == IPFS_PLUGIN_OK, cmd);
    }
    BOOST_TEST(test_support::read_text(uuid_file()) == id + "\n", var);
  }
}

BOOST_AUTO_TEST_CASE(unrecognized_mode_is_off_but_keeps_the_uuid) {
  test_support::write_text(uuid_file(), "f81d4fae-7dec-41d0-a765-00a0c91e6bf6\n");
  auto p = make(R"({"Mode":"disabled"})");
  BOOST_TEST(to_string(p->mode().mode) == "off");
  BOOST_TEST(!p->mode().warning.empty());
  BOOST_TEST(logged("accepted values"));
  BOOST_TEST(!logged("removed existing"));
  BOOST_TEST(std::filesystem::exists(uuid_file()));
}

BOOST_AUTO_TEST_CASE(invalid_config_json_text_warns_and_uses_defaults) {
  auto p = make("{not json");
  BOOST_TEST(logged("not valid JSON"));
  BOOST_TEST(to_string(p->mode().mode) == "on");
}

BOOST_AUTO_TEST_CASE(show_uses_the_stored_uuid_or_a_placeholder) {
  auto p = make("null");
  auto r = p->command("show", {});
  BOOST_REQUIRE_EQUAL(r.status, IPFS_PLUGIN_OK);
  BOOST_TEST(boost::json::parse(r.text).at("uuid").as_string() == "00000000-0000-0000-0000-000000000000");
  BOOST_TEST(logged("placeholder"));
  BOOST_TEST(!std::filesystem::exists(uuid_file()));
  test_support::write_text(uuid_file(), "F81D4FAE-7DEC-41D0-A765-00A0C91E6BF6\n");
  r = p->command("show", {});
  BOOST_TEST(boost::json::parse(r.text).at("uuid").as_string() == "f81d4fae-7dec-41d0-a765-00a0c91e6bf6");
}

BOOST_AUTO_TEST_CASE(show_fails_cleanly_when_the_host_gives_bad_facts) {
  facts_json = R"({"agent_version":1})";
  auto p = make("null");
  auto r = p->command("show", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);
  BOOST_TEST(r.text.find("member \"agent_version\" is 1; expected a string") != std::string::npos, r.text);

  // A host developer learns exactly which member is missing or wrong.
  const std::string full =
      R"({"agent_version":"h/1/","daemon":true,"online":true,"private_network":false,"repo_size":5,)"
      R"("addresses":[],"reachability":"Unknown"})";
  for (const char* member : {"agent_version", "daemon", "online", "private_network", "repo_size", "addresses",
                             "reachability"}) {
    auto doc = boost::json::parse(full).as_object();
    doc.erase(member);
    facts_json = boost::json::serialize(doc);
    auto q = make("null");
    auto m = q->command("show", {});
    BOOST_TEST(m.status == IPFS_PLUGIN_ERR_FAILED);
    BOOST_TEST(m.text.find(std::string("member \"") + member + "\" is missing") != std::string::npos, m.text);
  }
  for (const char* wrong : {R"("repo_size":-1)", R"("reachability":"public")", R"("addresses":[1])"}) {
    std::string doc = full;
    const std::string key = std::string(wrong).substr(0, std::string(wrong).find(':'));
    const auto at = doc.find(key);
    doc.replace(at, doc.find_first_of(",}", doc.find(':', at) + (key == "\"addresses\"" ? 3 : 0)) - at, wrong);
    facts_json = doc;
    auto q = make("null");
    auto m = q->command("show", {});
    BOOST_TEST(m.status == IPFS_PLUGIN_ERR_FAILED, doc);
    BOOST_TEST(m.text.find("member " + key + " is") != std::string::npos, m.text);
  }
  facts_json = full;
  BOOST_TEST(make("null")->command("show", {}).status == IPFS_PLUGIN_OK);
}

BOOST_AUTO_TEST_CASE(commands_reject_unknown_arguments) {
  auto p = make("null");
  BOOST_TEST(p->command("status", boost::json::array{"--yaml"}).status == IPFS_PLUGIN_ERR_INVALID_ARGUMENT);
  // An option a command does not take is named as such, not as an unknown command.
  auto r = p->command("show", boost::json::array{"--json"});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_INVALID_ARGUMENT);
  BOOST_TEST(r.text.find("unknown option \"--json\" for 'telemetry show'") != std::string::npos, r.text);
  BOOST_TEST(p->command("stauts", {}).text.find("(did you mean \"status\"?)") != std::string::npos);
  BOOST_TEST(p->command("frobnicate", {}).status == IPFS_PLUGIN_ERR_UNKNOWN_COMMAND);
  BOOST_TEST(p->command("erase", boost::json::array{"--now"}).status == IPFS_PLUGIN_ERR_INVALID_ARGUMENT);
}

namespace {
// A sender that records the request and answers `status` on the owning executor.
struct fake_sender : sender {
  boost::asio::any_io_executor ex;
  unsigned status;
  std::vector<send_request>* seen;
  fake_sender(boost::asio::any_io_executor e, unsigned s, std::vector<send_request>* v) : ex(e), status(s), seen(v) {}
  void async_send(send_request r, completion done) override {
    seen->push_back(r);
    boost::asio::post(ex, [this, done] {
      send_outcome o;
      o.status = status;
      done(o);
    });
  }
  void cancel() override {}
};
}  // namespace

BOOST_AUTO_TEST_CASE(erase_sends_a_delete_with_the_stored_uuid) {
  std::vector<send_request> seen;
  unsigned answer = 204;
  erase_sender = [&](boost::asio::any_io_executor ex, const transport_settings&)
      -> boost::system::result<std::unique_ptr<sender>, std::string> {
    return std::unique_ptr<sender>(std::make_unique<fake_sender>(ex, answer, &seen));
  };
  posix_file_system fs;
  uuid_store uuids(fs, repo.path());
  auto uuid = uuids.create();
  BOOST_REQUIRE(uuid.has_value());
  auto p = make(R"({"Endpoint":"http://127.0.0.1:9/"})");
  auto r = p->command("erase", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_OK, r.text);
  BOOST_REQUIRE(seen.size() == 1u);
  BOOST_TEST((seen[0].method == send_method::delete_));
  BOOST_TEST(seen[0].endpoint == "http://127.0.0.1:9/");
  BOOST_TEST(boost::json::parse(seen[0].body) == (boost::json::object{{"uuid", *uuid}}));
  BOOST_TEST(std::filesystem::exists(uuids.path()));  // erase keeps the UUID; forget removes it

  answer = 500;
  r = p->command("erase", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);
  BOOST_TEST(r.text.find("HTTP 500") != std::string::npos, r.text);

  BOOST_TEST(p->command("forget", {}).status == IPFS_PLUGIN_OK);
  BOOST_TEST(!std::filesystem::exists(uuids.path()));
  r = p->command("erase", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);  // no UUID: no proof of ownership, never "done"
  BOOST_TEST(r.text.find("cannot prove") != std::string::npos, r.text);
  BOOST_TEST(seen.size() == 2u);  // nothing sent without a UUID
}

BOOST_AUTO_TEST_CASE(erase_follows_the_clear_text_rule) {
  auto p = make(R"({"Endpoint":"http://collector.example/"})");
  auto r = p->command("erase", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);
  BOOST_TEST(r.text.find("AllowHTTP") != std::string::npos, r.text);
}

namespace {
// A sender that records the request and answers with `answer` as it is.
struct answering_sender : sender {
  boost::asio::any_io_executor ex;
  const send_outcome* answer;
  std::vector<send_request>* seen;
  answering_sender(boost::asio::any_io_executor e, const send_outcome* a, std::vector<send_request>* v)
      : ex(e), answer(a), seen(v) {}
  void async_send(send_request r, completion done) override {
    seen->push_back(r);
    boost::asio::post(ex, [this, done] { done(*answer); });
  }
  void cancel() override {}
};
}  // namespace

BOOST_AUTO_TEST_CASE(access_posts_the_uuid_to_v1_access_and_prints_the_answer_as_it_came) {
  std::vector<send_request> seen;
  send_outcome answer;
  answer.status = 200;
  answer.body_complete = true;
  const std::string line1 = R"({"received_at":"2026-01-01T00:00:00.000Z","event":{"a":1}})";
  const std::string line2 = R"({"received_at":"2026-01-02T00:00:00.000Z","event":{"a":2}})";
  answer.body = line1 + "\n" + line2 + "\n";
  answer.headers = {{"telemetry-aggregates", "no identifier here"}, {"telemetry-access-limit", "10000"}};
  erase_sender = [&](boost::asio::any_io_executor ex, const transport_settings&)
      -> boost::system::result<std::unique_ptr<sender>, std::string> {
    return std::unique_ptr<sender>(std::make_unique<answering_sender>(ex, &answer, &seen));
  };
  auto p = make(R"({"Endpoint":"http://127.0.0.1:9/telemetry/"})");
  // No UUID: nothing is sent, none is made.
  auto r = p->command("access", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);
  BOOST_TEST(r.text.find("cannot prove") != std::string::npos, r.text);
  BOOST_TEST(seen.empty());
  BOOST_TEST(!std::filesystem::exists(uuid_file()));

  posix_file_system fs;
  auto uuid = uuid_store(fs, repo.path()).create();
  BOOST_REQUIRE(uuid.has_value());
  r = p->command("access", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_OK, r.text);
  BOOST_TEST(r.text == answer.body);
  BOOST_REQUIRE(seen.size() == 1u);
  BOOST_TEST((seen[0].method == send_method::post));
  BOOST_TEST(seen[0].endpoint == "http://127.0.0.1:9/telemetry/v1/access");
  BOOST_TEST(seen[0].keep_response_body == k_max_access_answer);
  BOOST_TEST(boost::json::parse(seen[0].body) == (boost::json::object{{"uuid", *uuid}}));
  BOOST_TEST(logged("holds 2 raw events under this node's UUID"));
  BOOST_TEST(logged("aggregates: no identifier here"));  // header names in any case

  answer.headers.emplace_back("Telemetry-Access-Truncated", "oldest left out");
  r = p->command("access", boost::json::array{"--json"});
  BOOST_TEST(r.status == IPFS_PLUGIN_OK, r.text);
  const auto doc = boost::json::parse(r.text).as_object();
  BOOST_TEST(doc.at("events").as_array().size() == 2u);
  BOOST_TEST(doc.at("events").as_array()[1] == boost::json::parse(line2));
  BOOST_TEST(doc.at("truncated").as_bool());
  BOOST_TEST(logged("newest 10000 events only"));

  answer.body.clear();  // none held
  r = p->command("access", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_OK);
  BOOST_TEST(r.text.empty());
  BOOST_TEST(logged("holds no raw event under this node's UUID"));

  // A 200 without the collector's header (another application behind the
  // endpoint, an empty page): never "none held".
  auto saved = answer.headers;
  answer.headers = {{"Content-Type", "text/html"}};
  r = p->command("access", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);
  BOOST_TEST(r.text.find("not a telemetry collector's access answer") != std::string::npos, r.text);
  answer.headers = saved;

  answer.body = "<html>\n";
  r = p->command("access", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);
  BOOST_TEST(r.text.find("not the access format (line 1") != std::string::npos, r.text);

  answer.body = line1 + "\n";
  answer.body_complete = false;  // cut by the limit or the connection: never printed half
  r = p->command("access", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);
  BOOST_TEST(r.text.find("cut short") != std::string::npos, r.text);

  answer.status = 404;
  r = p->command("access", {});
  BOOST_TEST(r.status == IPFS_PLUGIN_ERR_FAILED);
  BOOST_TEST(r.text.find("does not offer access") != std::string::npos, r.text);
  BOOST_TEST(p->command("access", boost::json::array{"--all"}).status == IPFS_PLUGIN_ERR_INVALID_ARGUMENT);
}

BOOST_AUTO_TEST_SUITE_END()
