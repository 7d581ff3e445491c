"""OTP Academy's grader: everything around the lessons that is not the `otp` runtime.

Layers, inner to outer (an inner layer never imports an outer one):

- ``grader.sandbox``  infrastructure: isolated processes for untrusted learner code
- ``grader.engine``   the domain of grading: exercise format, results, the trusted test runner
- ``grader.notebook`` the lessons' IPython extension (``%%exercise``, ``%submit``, pictures)
- ``grader.course``   authors' tools: course catalog, notebook validation, course build
- ``grader.service``  the web service's domain and infrastructure: database, queue, accounts
- ``grader.web``      the web layer: JSON API, HTML pages, kernel bridge
- ``grader.bench``    the benchmarks behind ``academy bench``
- ``grader.cli``      the ``academy`` command, a thin shell over all of the above

docs/development.md maps where each concept lives.
"""
