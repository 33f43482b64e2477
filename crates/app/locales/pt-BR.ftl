app-name = Frontdesk
sign-in = Entrar
sign-out = Sair
email = E-mail
password = Senha
name = Nome
bad-credentials = Esse e-mail e essa senha não correspondem a uma conta.
session-expired = Sua sessão expirou. Entre novamente.
stale-form = Este formulário tinha expirado e nada foi salvo. Tente de novo.
forbidden = Você não tem permissão para ver esta página.
not-found = Esta página não existe.
first-run-title = Boas-vindas! Crie o primeiro administrador
first-run-intro = Este Frontdesk ainda não tem usuários. A conta criada agora o administra.
create-admin = Criar administrador
password-too-short = A senha precisa de pelo menos { $min } caracteres.
name-blank = Informe um nome.
email-invalid = Este não é um endereço de e-mail.
views = Visualizações
no-views = Nenhuma visualização ainda.
tickets-count = { $count ->
    [one] { $count } ticket
   *[other] { $count } tickets
}
no-tickets = Nenhum ticket aqui.
subject = Assunto
requester = Solicitante
assignee = Atribuído a
status = Status
priority = Prioridade
updated = Atualizado
created = Criado
organization = Organização
group = Grupo
tags = Tags
unassigned = Não atribuído
public-reply = Resposta pública
internal-note = Nota interna
conversation = Conversa
previous = Anterior
next = Próxima
page-of = Página { $page } de { $pages }
status-new = Novo
status-open = Aberto
status-pending = Pendente
status-hold = Em espera
status-solved = Resolvido
status-closed = Fechado
reply = Responder
reply-public = Resposta pública
reply-internal = Nota interna
assign-to-me = Atribuir a mim
submit-as = Enviar como { $status }
saved = Salvo.
conflict = Alguém alterou este ticket enquanto você escrevia. Nada foi salvo: veja como ele está agora; seu texto continua abaixo.
error-field = { $field }: { $message }
macro = Macro
preview = Pré-visualizar
apply-macro = Aplicar esta macro
macro-preview = O que “{ $title }” faria (nada foi salvo ainda)
my-requests = Minhas solicitações
new-request = Nova solicitação
description = Como podemos ajudar?
submit-request = Enviar solicitação
no-requests = Você ainda não tem solicitações.
send-reply = Enviar resposta
support-team = Suporte
skip-to-content = Pular para o conteúdo
main-menu = Menu principal
admin = Administração
search = Pesquisar
search-placeholder = Pesquisar tickets, pessoas…
search-query = Consulta
search-help = Por exemplo: status<solved assignee:me tags:vip "pedido de reembolso" created>1week
people = Pessoas
organizations = Organizações
tickets = Tickets
new-ticket = Novo ticket
ticket = Ticket
history = Histórico
properties = Propriedades
other-tickets = Outros tickets desta pessoa
comments-shown = Mostrando os { $shown } comentários mais recentes de { $total }.
markdown-hint = Formatação com Markdown: **negrito**, _itálico_, listas, `código`, [links](https://example.com).
tags-hint = Separadas por espaços.
type = Tipo
priority-low = Baixa
priority-normal = Normal
priority-high = Alta
priority-urgent = Urgente
type-question = Pergunta
type-incident = Incidente
type-problem = Problema
type-task = Tarefa
someone-viewing = { $name } está vendo este ticket
someone-typing = { $name } está digitando…
ticket-changed = Este ticket mudou desde que você o abriu. Recarregue para ver a mudança; um envio agora seria recusado.
via = via { $channel }
event-change = { $field } mudou de { $previous } para { $value }
event-create = { $field } definido como { $value }
column-subject = Assunto
column-requester = Solicitante
column-assignee = Atribuído a
column-group = Grupo
column-organization = Organização
column-status = Status
column-custom_status_id = Status do ticket
column-priority = Prioridade
column-type = Tipo
column-created = Solicitado
column-updated = Atualizado
column-due_date = Data de vencimento
select-all = Selecionar todos os tickets desta página
select-ticket = Selecionar o ticket { $id }
pages = Páginas
bulk-update = Atualização em massa
bulk-which = Quais tickets
bulk-selected = Os tickets selecionados
bulk-page = Todos os tickets desta página
bulk-all = { $count ->
    [one] O { $count } ticket desta lista
   *[other] Todos os { $count } tickets desta lista
}
unchanged = Sem mudança
add-tags = Adicionar tags
remove-tags = Remover tags
bulk-apply = Aplicar aos tickets
bulk-bad-status = Esse status não pode ser definido em massa.
bulk-nothing = Escolha uma mudança, uma macro ou uma nota para aplicar.
bulk-nothing-selected = Nenhum ticket foi selecionado.
job-progress = { $done } de { $total } tickets concluídos
job-completed = Concluído
job-failed = Falhou
job-queued = Aguardando
job-running = Em andamento
job-failures = { $count ->
    [one] { $count } ticket não pôde ser alterado
   *[other] { $count } tickets não puderam ser alterados
}
back = Voltar
edit = Editar
role = Função
role-end-user = Cliente
role-agent = Agente
role-admin = Administrador
time-zone = Fuso horário
language = Idioma
identities = Identidades
primary = principal
suspended = Suspenso
requested-tickets = Tickets solicitados
assigned-tickets = Tickets atribuídos
domains = Domínios
details = Detalhes
notes = Observações
requester-email = E-mail do solicitante
requester-name = Nome do solicitante
subject-blank = Informe um assunto.
description-blank = Escreva do que se trata o ticket.
shortcuts = Atalhos de teclado
shortcut-rows = Ticket seguinte / anterior da lista
shortcut-select = Selecionar o ticket
shortcut-search = Pesquisar
shortcut-reply = Escrever uma resposta
shortcut-submit = Enviar com o status atual do ticket
admin-users = Usuários
admin-organizations = Organizações
admin-groups = Grupos
admin-ticket_fields = Campos de ticket
admin-user_fields = Campos de usuário
admin-organization_fields = Campos de organização
admin-custom_statuses = Status de ticket
admin-views = Visualizações
admin-macros = Macros
admin-triggers = Gatilhos
admin-automations = Automações
admin-webhooks = Webhooks
admin-api_tokens = Tokens de API
admin-recipient_addresses = Endereços de suporte
admin-settings = Configurações da conta
admin-new = Novo
admin-none = Nada aqui ainda.
admin-save = Salvar
admin-delete = Excluir
field-name = Nome
field-email = E-mail
field-role = Função
field-organization_id = Id da organização
field-phone = Telefone
field-time_zone = Fuso horário (IANA, por exemplo America/Sao_Paulo)
field-locale = Idioma
field-suspended = Suspenso (não pode entrar)
field-tags = Tags
field-notes = Observações
field-password = Nova senha (deixe vazio para manter)
field-domain_names = Domínios de e-mail
field-group_id = Grupo
field-shared_tickets = Membros veem os tickets uns dos outros
field-shared_comments = Membros podem comentar nos tickets uns dos outros
field-details = Detalhes
field-description = Descrição
field-type = Tipo
field-title = Título
field-key = Chave
field-active = Ativo
field-required = Obrigatório para resolver
field-visible_in_portal = Mostrado aos clientes
field-editable_in_portal = Clientes podem preencher
field-required_in_portal = Clientes devem preencher
field-regexp_for_validation = Padrão (expressão regular)
field-custom_field_options = Opções
field-status_category = Categoria
field-agent_label = Rótulo para agentes
field-end_user_label = Rótulo para clientes
field-end_user_description = Descrição para clientes
field-conditions = Condições
field-columns = Colunas
field-sort_by = Ordenar por
field-sort_order = Ordem
field-group_by = Agrupar por
field-actions = Ações
field-endpoint = URL do endpoint
field-http_method = Método HTTP
field-request_format = Formato da requisição
field-status = Status
field-user_id = Id do usuário
field-created_at = Criado
field-last_used_at = Último uso
field-position = Posição
field-default = Padrão
field-brand_name = Nome da marca
hint-lines = Um por linha.
hint-options = Uma opção por linha: nome | valor.
conditions-all = Atender a todas
conditions-any = Atender a qualquer uma
rule-field = Campo
rule-operator = Operador
rule-value = Valor
error-blank = Não pode ficar em branco.
error-taken = Já está em uso.
error-invalid = Não aceito:
token-created = O novo token é { $token } — copie agora: ele não será mostrado de novo.
reset-link-made = Um link de uso único para definir uma nova senha (válido por um dia): { $link }
reset-link-used = Este link já foi usado ou expirou. Peça um novo a um administrador.
reset-link-make = Criar um link de uso único para definir uma nova senha
passwords-differ = As duas senhas são diferentes.
reset-title = Definir uma nova senha
new-password = Nova senha
confirm-password = A nova senha novamente
set-password = Definir senha
simulator = { $count ->
    [one] { $count } ticket atende agora
   *[other] { $count } tickets atendem agora
}
identity-type = Tipo
identity-value = Valor
identity-add = Adicionar identidade
password-reset-done = Sua senha foi definida. Entre com ela.
portal-field-required = { $field }: este campo precisa de uma resposta.
view-mine = Seus tickets não resolvidos
view-unassigned = Tickets não atribuídos
view-unsolved = Todos os tickets não resolvidos
view-pending = Tickets pendentes
view-solved = Tickets resolvidos recentemente
field-campaign_interval_days = Mínimo de dias entre dois tickets de campanha para o mesmo cliente
campaigns = Campanhas
campaign-new = Nova campanha
campaign-find = Encontrar clientes
campaign-find-text = Qualquer campo do usuário (nome, e-mail, telefone, observações, tags, organização, campos personalizados)
campaign-find-fields = Campos personalizados, um chave:valor por linha
campaign-per-page = Clientes por página
campaign-found = { $count ->
    [one] { $count } cliente encontrado
   *[other] { $count } clientes encontrados
}
select-all-customers = Selecionar todos os clientes desta página
campaign-all-matching = Todos os clientes que esta pesquisa encontra ({ $count }), não só os selecionados
campaign-compose = Escrever o ticket
campaign-name = Nome da campanha
campaign-name-hint = Único; vira uma tag em todos os tickets da campanha.
campaign-placeholders = Markdown. Espaços reservados: {"{{"}user.first_name{"}}"}, {"{{"}user.name{"}}"}, {"{{"}user.email{"}}"}, {"{{"}user.organization.name{"}}"}, {"{{"}user.custom_fields.<chave>{"}}"}.
campaign-preview = Pré-visualizar
campaign-tag-is = Tag em todos os tickets:
campaign-customers = Clientes
campaign-will-create = Tickets a criar
campaign-skipped = Ignorados
campaign-failed = Com falha
campaign-created = Criados
campaign-samples = Três dos tickets, como os clientes vão recebê-los
campaign-override = Incluir clientes contatados recentemente (ignorar o limite de frequência)
campaign-send = { $count ->
    [one] Enviar { $count } ticket
   *[other] Enviar { $count } tickets
}
campaign-state = Estado
campaign-state-queued = Na fila
campaign-state-running = Enviando
campaign-state-paused = Pausada
campaign-state-completed = Concluída
campaign-state-failed = Falhou
campaign-pause = Pausar
campaign-resume = Retomar
campaign-view = Abrir a visualização da campanha
campaign-report = Relatório
campaign-replied = Clientes que responderam
campaign-median-reply = Tempo mediano até a primeira resposta
campaign-permission = Executar campanhas exige a permissão “executar campanhas”, que um administrador pode lhe dar.
skip-not_found = Não encontrado
skip-not_a_customer = Não é cliente (agentes e administradores)
skip-suspended = Suspenso
skip-opted_out = Optou por não receber campanhas
skip-contacted_recently = Contatado por outra campanha recentemente
warning-capacity = Capacidade: { $count } tickets são cerca de { $days } dias de trabalho, com { $per_day } tickets resolvidos por dia nos últimos 30 dias.
warning-capacity-none = Capacidade: { $count } tickets, e nenhum ticket foi resolvido nos últimos 30 dias por este atribuído ou grupo.
warning-frequency = Frequência de contato: { $count } clientes receberam um ticket de campanha nos últimos { $days } dias e serão ignorados.
campaign-round-robin = Rodízio: distribuir os tickets entre os agentes do grupo, um de cada vez

## Links por e-mail
link-heading = Sem senha, ou esqueceu?
link-sign-in = Envie-me um link de acesso
link-reset = Envie-me um link para definir a senha
link-sent = Se { $email } tiver uma conta aqui, um link está a caminho. Ele funciona uma vez.
link-too-many = Muitas tentativas a partir daqui. Aguarde alguns minutos e tente de novo.
sign-in-as = Entrar como { $email }.
sign-in-link-used = Este link de acesso já foi usado ou expirou. Peça um novo na página de entrada.
mail-hello = Olá, { $name },
mail-sign-in-body = Siga este link para entrar em { $account }. Ele funciona uma vez, em até 20 minutos.
mail-reset-body = Siga este link para definir uma nova senha em { $account }. Ele funciona uma vez, em até um dia.
mail-link-ignore = Se você não pediu isto, ignore esta mensagem: nada muda.
mail-sign-in-subject = Seu link de acesso a { $account }
mail-reset-subject = Defina sua senha em { $account }

## Recusas das verificações do servidor, por tipo
error-too-long = Longo demais: no máximo { $max } caracteres.
error-time-zone = “{ $value }” não é um fuso horário.
error-phone = “{ $value }” não é um número de telefone.
error-domain = “{ $value }” não é um nome de domínio.
error-whole-number = { $field }: “{ $value }” não é um número inteiro.
error-number = { $field }: “{ $value }” não é um número.
error-date = { $field }: “{ $value }” não é uma data (como 2026-12-01).
error-true-false = { $field }: “{ $value }” não é sim nem não.
error-pattern = { $field }: “{ $value }” não está no formato esperado.
error-option = { $field }: “{ $value }” não é uma das opções.
error-text-value = { $field }: este texto não é aceito (longo demais, ou quebra de linha num campo de uma linha).
error-required-to-solve = { $field } precisa ser preenchido para resolver o ticket.
error-audience-empty = O público está vazio: faça uma busca ou escolha clientes.
error-placeholder = Um marcador na linha { $line } não pode ser preenchido.
error-placeholder-syntax = Um marcador na linha { $line } não está escrito corretamente: confira os {"{{"} e {"}}"}.
error-placeholder-undefined = Um marcador na linha { $line } cita algo que não existe.

attachments = Anexos
mail-reply-above = Responda a esta mensagem para acrescentar algo à sua solicitação #{ $id }, ou acompanhe-a on-line:
mail-open-ticket = Abrir o ticket #{ $id }:

## Gatilhos padrão (o texto pode ser editado pelo administrador)
trigger-ack-title = Avisar o solicitante de uma nova solicitação
trigger-ack-subject = [#{"{{"}ticket.id{"}}"}] Recebemos sua solicitação: {"{{"}ticket.subject{"}}"}
trigger-ack-body = Olá, {"{{"}ticket.requester.first_name{"}}"},
    
    recebemos sua solicitação "{"{{"}ticket.subject{"}}"}" (#{"{{"}ticket.id{"}}"}). Nossa equipe responderá em breve; responda a esta mensagem para acrescentar algo.
trigger-assigned-title = Avisar o responsável de uma atribuição
trigger-assigned-subject = [#{"{{"}ticket.id{"}}"}] Atribuído a você: {"{{"}ticket.subject{"}}"}
trigger-assigned-body = O ticket #{"{{"}ticket.id{"}}"} "{"{{"}ticket.subject{"}}"}" de {"{{"}ticket.requester.name{"}}"} agora está atribuído a você{"{%"} if ticket.priority {"%}"} (prioridade: {"{{"}ticket.priority{"}}"}){"{%"} endif {"%}"}.

## Cancelar a inscrição em mensagens de campanhas
unsubscribe-title = Cancelar inscrição
unsubscribe-ask = Deixar de enviar mensagens proativas (campanhas) para { $email }? Suas solicitações e as respostas a elas continuam iguais.
unsubscribe-button = Cancelar inscrição
unsubscribe-done = Pronto: { $email } não receberá mais mensagens de campanhas.
unsubscribe-link-unknown = Este link de cancelamento não é válido (pode ter expirado).

## History
custom-status = Status personalizado
event-notification = Notificação “{ $subject }” para { $count ->
    [one] um destinatário
   *[other] { $count } destinatários
}
yes = Sim
no = Não
newer-requests = Solicitações mais recentes
older-requests = Solicitações anteriores
form-has-errors = Corrija os campos indicados abaixo.

## Refusals of values (the domain's checks)
error-not-one-of = “{ $value }” não é válido; esperado um de: { $expected }.
error-handle-length = Um identificador precisa ter de 1 a 255 caracteres.
error-email-too-long = Um endereço de e-mail tem no máximo 254 caracteres.
error-email = “{ $value }” não é um endereço de e-mail.
error-cpf-digits = “{ $value }” não é um CPF: são necessários 11 dígitos.
error-cpf = “{ $value }” não é um CPF válido.
error-locale = “{ $value }” não é um idioma oferecido (inglês, português do Brasil ou japonês).
error-field-key = Uma chave começa com letra minúscula e contém apenas a–z, 0–9 e _ (no máximo { $max } caracteres).
error-bad-pattern = Esta não é uma expressão regular válida.
error-field-value = { $field }: este valor não é aceito.
error-tag-blank = Uma tag não pode ficar em branco.
error-tag-too-long = A tag “{ $value }” tem mais de { $max } caracteres.
error-no-such-field = Não existe o campo personalizado { $field }.

## Search language errors
search-term-expected = Falta um termo de busca aqui.
search-too-many-terms = A busca tem mais de { $max } termos.
search-too-deep = Os parênteses estão aninhados em mais de { $max } níveis.
search-unclosed-paren = O parêntese aberto no caractere { $at } nunca é fechado.
search-unexpected = “{ $char }” não era esperado aqui.
search-needs-value = { $term } precisa de um valor.
search-bare-wildcard = Um curinga (*) precisa de algum texto antes dele.
search-unclosed-quote = Estas aspas nunca são fechadas.
search-empty-phrase = Uma frase vazia não encontra nada.
search-too-long = A busca tem mais de { $max } caracteres.
search-empty = A busca está vazia.
search-given-twice = { $field } foi informado duas vezes.
search-ordering-nested = order_by e sort valem para a busca inteira: use-os fora de parênteses, OR e -.
search-colon-only = { $field } só pode ser comparado com “:”.
search-bad-type = type é ticket, user ou organization, não “{ $value }”.
search-needs-id = { $field } precisa de um id, não “{ $value }”.
search-unknown-field = Não existe o campo “{ $field }” aqui. Campos conhecidos: { $known }.
search-not-an-option = “{ $value }” não é uma opção de { $field } ({ $expected }).
search-not-a-time = “{ $value }” não é uma data (2026-01-31), uma hora (2026-01-31T10:00:00Z) nem uma idade (3days, 4hours).
search-bad-field-value = “{ $value }” não é um valor válido para { $field }.

## Refusals of the server's checks, by what they concern
error-too-many-files = No máximo { $max } arquivos podem ser anexados a um comentário.
error-not-a-date = “{ $value }” não é uma data ou hora.
error-no-such-user = Não existe o usuário { $id }.
error-not-an-agent = O usuário { $id } não é um agente.
error-no-such-status = Não existe o status { $id }.
error-status-inactive = O status “{ $name }” não está mais em uso.
error-status-category = Este status não pertence à categoria de status informada.
error-assignee-not-in-group = O responsável não é membro do grupo escolhido.
error-solve-needs-assignee = Um ticket precisa de um responsável para ser resolvido.
error-no-such-organization = Não existe a organização { $id }.
error-no-such-group = Não existe o grupo { $id }.
error-closed = Este ticket está fechado e não pode mais ser alterado.
error-delete-status = Um ticket é excluído com Excluir, não pelo seu status.
error-wrong-type = Este valor está em um formato errado.
error-options-not-allowed = Este tipo de campo não tem opções.
error-too-many-options = No máximo { $max } opções.
error-option-twice = O valor de opção “{ $value }” foi informado duas vezes.
error-options-needed = Este tipo de campo precisa de pelo menos uma opção.
error-type-fixed = O tipo de um campo não pode mudar; crie um novo campo.
error-key-fixed = A chave de um campo não pode mudar.
error-required-ticket-only = Apenas campos de ticket podem ser obrigatórios para resolver.
error-not-a-column = “{ $value }” não é uma coluna.
error-conditions-needed = Adicione pelo menos uma condição.
error-condition-missing-ref = Uma condição cita { $id }, que não existe.
error-no-such-category = Não existe a categoria de gatilhos { $id }.
error-macro-no-conditions = Uma macro não tem condições: um agente a aplica.
error-actions-needed = Adicione pelo menos uma ação.
error-automation-nullify = Uma automação precisa alterar algo que suas condições testam (um status, uma tag, um campo…), senão rodaria de novo a cada hora.
error-default-status-active = O status padrão de uma categoria não pode ser desativado.
error-closed-category = Status personalizados não podem estar na categoria fechado.
error-status-category-fixed = Um status personalizado não pode mudar de categoria.
error-interval-days = Um número de dias de 0 a 365.
error-token-agents-only = Apenas agentes e administradores podem ter tokens de API.
error-delete-self = Você não pode excluir a si mesmo.
error-not-an-id = “{ $value }” não é um id.
error-campaign-requester = O solicitante de cada ticket da campanha é o seu cliente; não pode ser definido.
error-round-robin-assignee = O rodízio distribui tickets entre os agentes de um grupo: escolha um grupo, não um responsável.
error-round-robin-group = O rodízio precisa de um grupo que tenha agentes.
error-no-such-macro = Não existe a macro { $id }.
error-campaign-state = A campanha não pode fazer isso no estado atual.
error-upload-token = Um arquivo anexado expirou ou já foi usado; anexe-o novamente.

## Refusals of conditions and actions (views and business rules)
error-hours-needed = { $field } precisa de um número de horas, não “{ $value }”.
error-operator-for = { $field } não aceita o operador { $operator }; aceita: { $expected }.
error-condition-unsupported = { $field } (horas desde um status) ainda não é suportado; use horas desde a atualização ou a criação.
error-includes-needs-value = { $field } precisa de pelo menos uma palavra.
error-trigger-only-people = Apenas gatilhos podem testar campos do solicitante ou da organização ({ $field }).
error-trigger-only-update = “{ $field } { $operator }” descreve uma atualização do ticket: apenas gatilhos podem testá-la.
error-automation-needs-time = Uma automação precisa de uma condição de tempo (horas desde a criação, a atualização, um status, a atribuição, a atualização pelo solicitante ou até o vencimento).
error-not-a-people-field = “{ $field }” não é um campo personalizado de pessoas ou organizações.
error-not-watchable = Não é possível acompanhar mudanças em { $field }.
error-action-shape = A ação { $field } recebe { $shape }.
error-needs-text = Escreva o texto do comentário.
error-unknown-action = “{ $field }” não é uma ação.
error-no-such-webhook = Não existe o webhook { $id }.

## Choices on the admin pages (a value without a line here shows as itself)
choice-end-user = Cliente
choice-agent = Agente
choice-admin = Administrador
choice-en-US = English
choice-pt-BR = Português (Brasil)
choice-ja = 日本語
choice-new = Novo
choice-open = Aberto
choice-pending = Pendente
choice-hold = Em espera
choice-solved = Resolvido
choice-asc = Crescente
choice-desc = Decrescente
choice-active = Ativo
choice-inactive = Inativo
choice-text = Texto
choice-textarea = Texto com várias linhas
choice-integer = Número inteiro
choice-decimal = Número decimal
choice-date = Data
choice-checkbox = Caixa de seleção
choice-tagger = Lista suspensa
choice-multiselect = Seleção múltipla
choice-regexp = Padrão (expressão regular)
error-webhook-endpoint = O endpoint precisa ser um endereço http:// ou https:// completo, com host.
error-customers-no-campaigns = Clientes não podem executar campanhas.
preview-matches = Ver os tickets correspondentes (sem salvar)
reply-blank = Escreva sua resposta antes de enviá-la.
confirm-delete = Excluir “{ $name }” definitivamente? Não é possível desfazer.
first-page = Voltar à primeira página
choice-email = E-mail
choice-phone_number = Telefone
choice-twitter = Twitter / X
choice-facebook = Facebook
choice-google = Google
bad-form = Este formulário chegou incompleto. Volte, recarregue a página e tente de novo.
macro-not-found = Essa macro não existe mais.

## The campaign report's download (CSV and XLSX); the API's downloads use these English lines
report-campaign = campanha
report-tag = tag
report-tickets = tickets
report-solved = resolvidos
report-replied = clientes que responderam
report-median-first-reply = mediana do tempo até a primeira resposta (segundos)
report-by-status = status { $status ->
    [new] Novo
    [open] Aberto
    [pending] Pendente
    [hold] Em espera
    [solved] Resolvido
    [closed] Fechado
   *[other] { $status }
}
report-by-custom-status = status do ticket { $label }
report-column-ticket = ticket
report-column-status = status
report-column-custom-status = status personalizado
report-column-first-reply = primeira resposta (segundos)

verify-title = Confirme seu endereço de e-mail
verify-ask = Confirmar que { $email } é seu? Até lá, e-mails vindos dele não são considerados seus e nada é enviado para ele.
verify-button = Confirmar este endereço
verify-done = Obrigado: { $email } foi confirmado como seu.
verify-link-used = Este link de confirmação não é válido: já foi usado, expirou ou o endereço foi removido.
mail-verify-subject = Confirme seu endereço de e-mail em { $account }
mail-verify-body = Alguém adicionou { $email } a uma conta em { $account }. Se foi você, siga este link em até três dias para confirmar o endereço.
error-support-address-claimed = { $address } é um dos endereços de suporte desta central e não pode pertencer a um usuário.
error-identity-unproven = Este endereço aguarda que o dono siga o link enviado a ele por e-mail.
error-placeholder-too-much-work = O texto exige trabalho demais para ser preenchido (linha { $line }): encurte os laços.
error-placeholder-too-long = O texto ficaria longo demais depois de preenchido (linha { $line }): no máximo 1 MiB.
rule-problem = { $failures ->
    [one] Não pôde ser aplicada uma vez desde que foi salva:
   *[other] Não pôde ser aplicada { $failures } vezes desde que foi salva:
}
rule-problem-off = Ela foi desativada; corrija-a e salve para ativá-la de novo.
rule-unreadable = Este registro não pode ser lido e por isso não é usado:
error-email-invisible = { $value } tem um caractere invisível (mostrado como ?) e não pode ser um endereço de e-mail.
verify-done-title = Endereço confirmado
mail-kept-subject = Uma mensagem para { $account } não pôde virar ticket
mail-kept-body = Uma mensagem não pôde virar ticket. Ela foi guardada e será tentada de novo automaticamente.

    De: { $sender }
    Assunto: { $subject }
    Motivo: { $reason }

    A mensagem como chegou: { $link }
    O que houve com as últimas mensagens: GET /api/v2/inbound_emails
    Outras mensagens que falharem nesta hora serão guardadas e tentadas de novo da mesma forma, sem outro e-mail.
mail-kept-unknown = (desconhecido)
admin-removed = Removido.
admin-named-lead = Estas regras e visualizações o mencionam e não fazem mais tudo o que dizem. Cada uma é ignorada onde não se aplica e sinalizada quando falha; abra cada uma para alterá-la:
choice-trigger = Gatilho
choice-automation = Automação
choice-macro = Macro
choice-view = Visualização
