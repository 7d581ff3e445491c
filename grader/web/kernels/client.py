"""The slice of jupyter_server's REST API the bridge needs.

Works the same against the ``LocalJupyterServer`` child and an external server or Jupyter
Enterprise Gateway at ``KERNELS_URL``: both speak ``/api/kernels``.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from grader.web.kernels.errors import KernelStartFailed, KernelUnavailable


class KernelsClient:
    def __init__(self, base_url: str, token: str, *, kernel_name: str = "python3") -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.kernel_name = kernel_name
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"token {token}"} if token else {},
            timeout=httpx.Timeout(30.0, connect=5.0),
        )

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}

    async def close(self) -> None:
        await self._http.aclose()

    async def start_kernel(self, path: str = "") -> str:
        """Start a kernel whose working directory is ``path`` (relative to the server root)."""
        try:
            answer = await self._http.post(
                "/api/kernels", json={"name": self.kernel_name, "path": path}
            )
        except httpx.TransportError as error:
            raise KernelStartFailed(
                f"kernel server at {self.base_url} unreachable: {error}"
            ) from error
        if answer.status_code not in (200, 201):
            raise KernelStartFailed(
                f"kernel server refused to start a {self.kernel_name!r} kernel: "
                f"HTTP {answer.status_code} {answer.text[:200]}"
            )
        return str(answer.json()["id"])

    async def exists(self, kernel_id: str) -> bool:
        answer = await self._http.get(f"/api/kernels/{quote(kernel_id)}")
        return answer.status_code == 200

    async def interrupt(self, kernel_id: str) -> None:
        await self._post(kernel_id, "interrupt")

    async def restart(self, kernel_id: str) -> None:
        await self._post(kernel_id, "restart")

    async def shutdown(self, kernel_id: str) -> None:
        answer = await self._http.delete(f"/api/kernels/{quote(kernel_id)}")
        if answer.status_code not in (204, 404):
            raise KernelUnavailable(f"shutting kernel down failed: HTTP {answer.status_code}")

    async def _post(self, kernel_id: str, action: str) -> None:
        answer = await self._http.post(f"/api/kernels/{quote(kernel_id)}/{action}")
        if answer.status_code == 404:
            raise KernelUnavailable("the kernel is gone (culled or crashed); run the cell again")
        if answer.status_code >= 400:
            raise KernelUnavailable(f"kernel {action} failed: HTTP {answer.status_code}")

    def channels_url(self, kernel_id: str, session_id: str) -> str:
        scheme, netloc, path, _, _ = urlsplit(self.base_url)
        ws_scheme = "wss" if scheme == "https" else "ws"
        return urlunsplit(
            (
                ws_scheme,
                netloc,
                f"{path}/api/kernels/{quote(kernel_id)}/channels",
                f"session_id={quote(session_id)}",
                "",
            )
        )
