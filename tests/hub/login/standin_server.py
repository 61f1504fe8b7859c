"""The stand-in single-user server of the hub login test (README.md beside this file).

    python standin_server.py        (the task's environment in this process's)

Run with the hub image's pinned packages (tests/tools/hub.txt) where the user's Fargate task
runs (the test puts its privateIPv4Address on the namespace's loopback). It listens where
`jupyterhub-singleuser` would: on the address and port of JUPYTERHUB_SERVICE_URL, which the
spawner sets. It does what a real `jupyterhub-singleuser` does on the
way to the user's first page, and nothing else: it authenticates the browser with the hub's
OAuth (JupyterHub's own `HubOAuthenticated` and `HubOAuthCallbackHandler`, which read
JUPYTERHUB_API_URL, JUPYTERHUB_API_TOKEN, JUPYTERHUB_CLIENT_ID, JUPYTERHUB_SERVICE_PREFIX and
JUPYTERHUB_OAUTH_CALLBACK_URL from the environment the spawner gave the task), asks the hub's
API who the user is, and shows a page naming them. Prints `ready` once it listens.
"""

import html
import os
import secrets
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web


# The hub's answers kept for one second only (0 would keep them forever): a page after the
# hub restart asks the restarted hub's API.
AUTH = HubOAuth(cache_max_age=1)


class Callback(HubOAuthCallbackHandler):
    hub_auth = AUTH


class Home(HubOAuthenticated, web.RequestHandler):
    hub_auth = AUTH

    @web.authenticated
    def get(self):
        user = self.get_current_user()
        name = html.escape(user["name"])
        self.write(
            f"<!doctype html><title>stand-in server of {name}</title>"
            f'<h1 id="standin">stand-in server of {name}</h1>'
            f"<p>served from {html.escape(self.request.host)}, who am I answered by the hub's API</p>"
        )


def main():
    service = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    app = web.Application(
        [
            (prefix, Home),
            (url_path_join(prefix, "oauth_callback"), Callback),
        ],
        cookie_secret=secrets.token_bytes(32),
    )
    app.listen(service.port, address=service.hostname)
    print("ready", flush=True)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
