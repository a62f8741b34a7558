"""The front-desk page and the HTTP API, both on the same engine: ``unitcalc serve``.

Needs the ``web`` extra (``pip install 'unitcalc[web]'``): FastAPI for the API and its
OpenAPI document, uvicorn to serve it.

How a request travels:

1. ``server``: uvicorn reads it, answering 408 to headers that do not arrive within
   ten seconds; each worker process builds its application with ``app.create_app``.
2. ``middleware``: the host guard answers 400 to a ``Host`` that is not a name of this
   server (and puts the security headers on every answer); the body limit reads the
   whole body, answering 413 to one over the limit and 408 to one too slow to arrive.
3. ``requests``: FastAPI validates the body against the request models; then each
   field becomes a library value (a rule, a payer profile, a date, a service line,
   billed units).
4. ``endpoints``: the library call (``calculate``, ``audit``, the code table, the
   rules, the payer profiles; ``/`` is the page).
5. The answer: the result's ``to_dict``, in the shapes of ``responses`` (which also
   make the OpenAPI document's schemas); an input problem at any step is answered 422
   naming the field, by the handlers in ``errors``.
"""
